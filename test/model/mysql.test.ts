import { describeModel } from './run-model'

describeModel('mysql')

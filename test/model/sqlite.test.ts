import { describeModel } from './run-model'

describeModel('sqlite')

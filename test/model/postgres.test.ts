import { describeModel } from './run-model'

describeModel('postgres')

// The commands of ecsrunner (oclif's "explicit" strategy: the bundle exports them by id).
import Cost from './commands/cost.js';
import Doctor from './commands/doctor.js';
import ListClassSizes from './commands/list-class-sizes.js';
import RunnersDetails from './commands/runners/details.js';
import RunnersList from './commands/runners/list.js';
import RunnersLogs from './commands/runners/logs.js';
import RunnersTerminate from './commands/runners/terminate.js';
import Status from './commands/status.js';

export const COMMANDS = {
  'runners:list': RunnersList,
  'runners:details': RunnersDetails,
  'runners:terminate': RunnersTerminate,
  'runners:logs': RunnersLogs,
  'list-class-sizes': ListClassSizes,
  status: Status,
  cost: Cost,
  doctor: Doctor,
};

export type { RunnersListResult } from './commands/runners/list.js';
export type { RunnerDetailsResult } from './commands/runners/details.js';
export type { RunnerTerminateResult } from './commands/runners/terminate.js';
export type { RunnerLogsResult } from './commands/runners/logs.js';
export type { ClassSizesResult } from './commands/list-class-sizes.js';
export type { StatusResult } from './commands/status.js';
export type { CostResult } from './commands/cost.js';
export type { DoctorResult, CheckResult, CheckStatus } from './commands/doctor.js';
export { EXIT } from './errors.js';

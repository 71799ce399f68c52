/** Source and detail-type of the fleet's own re-dispatches on its bus (matched by the workflow_job rule). */
export const WORKFLOW_JOB_SOURCE = 'runner-fleet.github';
export const WORKFLOW_JOB_DETAIL_TYPE = 'workflow_job';

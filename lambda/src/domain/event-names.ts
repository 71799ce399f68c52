/** Source and detail-type of the events ingress puts on the fleet's bus (matched by the workflow_job rule). */
export const WORKFLOW_JOB_SOURCE = 'runner-fleet.github';
export const WORKFLOW_JOB_DETAIL_TYPE = 'workflow_job';

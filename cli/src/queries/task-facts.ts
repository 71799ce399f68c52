import type { ECSClient } from '@aws-sdk/client-ecs';

/** What ECS knows of a runner's task right now (DescribeTasks). */
export interface TaskFacts {
  taskArn: string;
  cluster: string;
  lastStatus?: string;
  desiredStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number;
  containerReason?: string;
  cpu?: string;
  memory?: string;
  capacityProvider?: string;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  taskDefinitionArn?: string;
}

export interface LogLocation {
  group: string;
  stream: string;
}

/** The cluster name inside a task ARN (arn:aws:ecs:region:account:task/<cluster>/<id>). */
export function clusterOf(taskArn: string): string {
  const parts = taskArn.split('/');
  return parts.length >= 3 ? parts[parts.length - 2]! : 'default';
}

export function taskIdOf(taskArn: string): string {
  return taskArn.split('/').pop() ?? taskArn;
}

/** Live facts, or undefined when ECS no longer knows the task (stopped tasks are kept about an hour). */
export async function describeTask(ecs: ECSClient, taskArn: string, containerName = 'runner'): Promise<TaskFacts | undefined> {
  const cluster = clusterOf(taskArn);
  const { DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  const task = out.tasks?.[0];
  if (!task) return undefined;
  const container = task.containers?.find((c) => c.name === containerName) ?? task.containers?.[0];
  const iso = (d?: Date) => d?.toISOString();
  return {
    taskArn,
    cluster,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    exitCode: container?.exitCode,
    containerReason: container?.reason,
    cpu: task.cpu,
    memory: task.memory,
    capacityProvider: task.capacityProviderName,
    createdAt: iso(task.createdAt),
    startedAt: iso(task.startedAt),
    stoppedAt: iso(task.stoppedAt),
    taskDefinitionArn: task.taskDefinitionArn,
  };
}

/**
 * Where the awslogs driver writes this task's output: from the task
 * definition's log configuration, else from RUNNER_LOG_GROUP (for tasks ECS
 * has forgotten). Stream: <prefix>/<container>/<task id>.
 */
export async function logLocation(ecs: ECSClient, taskArn: string, taskDefinitionArn: string | undefined, fallbackGroup: string | undefined, containerName = 'runner'): Promise<LogLocation | undefined> {
  if (taskDefinitionArn) {
    const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    const container = out.taskDefinition?.containerDefinitions?.find((c) => c.name === containerName) ?? out.taskDefinition?.containerDefinitions?.[0];
    const options = container?.logConfiguration?.options;
    if (container && options?.['awslogs-group']) {
      const prefix = options['awslogs-stream-prefix'];
      return { group: options['awslogs-group'], stream: `${prefix ? `${prefix}/` : ''}${container.name}/${taskIdOf(taskArn)}` };
    }
  }
  return fallbackGroup ? { group: fallbackGroup, stream: `runner/${containerName}/${taskIdOf(taskArn)}` } : undefined;
}

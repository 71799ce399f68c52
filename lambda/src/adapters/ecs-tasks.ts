import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { Config } from '../config.js';
import type { LaunchSpec, RunnerTasks, TaskSnapshot } from '../domain/ports.js';
import { classifyRunTaskError, noTaskError } from './ecs-errors.js';

export function createRunnerTasks(ecs: ECSClient, config: Config): RunnerTasks {
  return {
    async run(spec: LaunchSpec): Promise<string> {
      const input: RunTaskCommandInput = {
        cluster: config.ecsCluster,
        taskDefinition: spec.taskDefinition,
        count: 1,
        startedBy: spec.runnerId,
        clientToken: spec.clientToken,
        capacityProviderStrategy: [{ capacityProvider: spec.spot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 }],
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: config.subnetIds,
            securityGroups: config.securityGroupIds,
            assignPublicIp: config.assignPublicIp ? 'ENABLED' : 'DISABLED',
          },
        },
        overrides: {
          cpu: String(spec.cpu),
          memory: String(spec.memory),
          // The parameter's name only: the config itself never travels through ECS (DescribeTasks, events).
          containerOverrides: [{ name: spec.containerName, environment: [{ name: 'RUNNER_JITCONFIG_PARAMETER', value: spec.jitConfigParameter }] }],
        },
        enableECSManagedTags: true,
        tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value: value.slice(0, 256) })),
      };
      let out;
      try {
        out = await ecs.send(new RunTaskCommand(input));
      } catch (error) {
        throw classifyRunTaskError(error);
      }
      const taskArn = out.tasks?.[0]?.taskArn;
      if (!taskArn) throw noTaskError(out.failures ?? []);
      return taskArn;
    },

    async findLive(runnerId: string): Promise<string | undefined> {
      // startedBy must be the only ListTasks filter besides the cluster (ECS API): desired status is checked on DescribeTasks.
      const out = await ecs.send(new ListTasksCommand({ cluster: config.ecsCluster, startedBy: runnerId }));
      const arns = (out.taskArns ?? []).slice(0, 100);
      if (arns.length === 0) return undefined;
      const described = await ecs.send(new DescribeTasksCommand({ cluster: config.ecsCluster, tasks: arns }));
      return described.tasks?.find((t) => t.desiredStatus === 'RUNNING' && t.taskArn)?.taskArn;
    },

    async listRunning(limit: number): Promise<string[]> {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = await ecs.send(new ListTasksCommand({ cluster: config.ecsCluster, desiredStatus: 'RUNNING', maxResults: 100, nextToken }));
        arns.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
      } while (nextToken && arns.length < limit);
      return arns.slice(0, limit);
    },

    async describe(taskArns: string[]): Promise<Map<string, TaskSnapshot>> {
      const found = new Map<string, TaskSnapshot>();
      if (taskArns.length === 0) return found;
      const out = await ecs.send(new DescribeTasksCommand({ cluster: config.ecsCluster, tasks: taskArns.slice(0, 100) }));
      for (const t of out.tasks ?? []) {
        if (!t.taskArn) continue;
        found.set(t.taskArn, {
          taskArn: t.taskArn,
          lastStatus: t.lastStatus ?? 'UNKNOWN',
          startedBy: t.startedBy,
          stoppedReason: t.stoppedReason,
          stopCode: t.stopCode,
          stoppedAt: t.stoppedAt?.toISOString(),
          startedAt: t.startedAt?.toISOString(),
          pullStartedAt: t.pullStartedAt?.toISOString(),
          capacityProviderName: t.capacityProviderName,
          ephemeralStorage: t.ephemeralStorage,
          attributes: t.attributes,
          containers: t.containers?.map((c) => ({ name: c.name, exitCode: c.exitCode, reason: c.reason })),
        });
      }
      return found;
    },

    async stop(taskArn: string, reason: string): Promise<void> {
      await ecs.send(new StopTaskCommand({ cluster: config.ecsCluster, task: taskArn, reason: reason.slice(0, 255) }));
    },
  };
}

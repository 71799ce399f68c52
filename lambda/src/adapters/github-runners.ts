import type { GitHubRunners, JitConfig } from '../domain/ports.js';
import type { FleetOctokit } from './github-client.js';

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined;
}

/** The repository's self-hosted runner endpoints. */
export function createGitHubRunners(client: (installationId?: number) => Promise<FleetOctokit>, owner: string, repo: string): GitHubRunners {
  return {
    async generateJitConfig({ name, labels, runnerGroupId, installationId }): Promise<JitConfig | 'exists'> {
      const octokit = await client(installationId);
      try {
        const { data } = await octokit.rest.actions.generateRunnerJitconfigForRepo({ owner, repo, name, labels, runner_group_id: runnerGroupId, work_folder: '_work' });
        return { githubRunnerId: data.runner.id, encodedJitConfig: data.encoded_jit_config };
      } catch (error) {
        if (statusOf(error) === 409) return 'exists';
        throw error;
      }
    },

    async findRunner(name, installationId) {
      const octokit = await client(installationId);
      const { data } = await octokit.rest.actions.listSelfHostedRunnersForRepo({ owner, repo, name, per_page: 100 });
      const runner = data.runners.find((r) => r.name === name);
      return runner ? { id: runner.id, busy: runner.busy, status: runner.status } : undefined;
    },

    async jobStatus(jobId, installationId) {
      const octokit = await client(installationId);
      try {
        const { data } = await octokit.rest.actions.getJobForWorkflowRun({ owner, repo, job_id: jobId });
        return data.status;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async job(jobId, installationId) {
      const octokit = await client(installationId);
      try {
        const { data } = await octokit.rest.actions.getJobForWorkflowRun({ owner, repo, job_id: jobId });
        return { status: data.status, ...(data.runner_name ? { runnerName: data.runner_name } : {}) };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async listRunners(prefix) {
      const octokit = await client();
      const runners = await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForRepo, { owner, repo, per_page: 100 });
      return runners.filter((r) => r.name.startsWith(prefix)).map((r) => ({ id: r.id, name: r.name, status: r.status, busy: r.busy }));
    },

    async deleteRunner(id, installationId) {
      const octokit = await client(installationId);
      try {
        await octokit.rest.actions.deleteSelfHostedRunnerFromRepo({ owner, repo, runner_id: id });
        return 'deleted';
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return 'not-found';
        if (status === 422) return 'busy';
        throw error;
      }
    },
  };
}

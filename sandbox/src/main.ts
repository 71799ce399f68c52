/**
 * `npm start`: the whole control plane on this machine (DESIGN §9).
 * Prints READY and the exports the CLI needs, then runs until SIGINT/SIGTERM.
 */
import { startSandbox } from './sandbox.js';
import { recordPrinter } from './watch-records.js';

const sandbox = await startSandbox({ env: process.env }).catch((error: unknown) => {
  console.error(`sandbox could not start: ${(error as Error).message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error('Another process uses the port: set PORT to a free one (PORT=0 picks any).');
  process.exit(1);
});

const env = sandbox.controlPlaneEnv;
const classes = Object.keys(JSON.parse(process.env.SANDBOX_CLASS_SIZES ?? '{"small":0,"medium":0,"large":0}') as object).join('/');
console.log(`AWS Runner Fleet sandbox: repo ${env.GITHUB_REPO}, cluster ${env.ECS_CLUSTER}, classes ${classes}, default ${env.DEFAULT_CLASS}`);
console.log(`image builds: ${env.IMAGE_BUILD_PROJECT ? `on (project ${env.IMAGE_BUILD_PROJECT}, allowed ${env.ALLOWED_BASE_IMAGES})` : 'off (set IMAGE_BUILD_PROJECT=runner-images to try image: labels)'}`);
console.log(`webhook secret: ${process.env.WEBHOOK_SECRET ? '(from WEBHOOK_SECRET)' : `${sandbox.webhookSecret} (default; set WEBHOOK_SECRET to change)`}`);
console.log(`autopilot: ${['0', 'false', 'off'].includes(process.env.SANDBOX_AUTOPILOT ?? '') ? 'off (you play GitHub)' : 'on (simulated GitHub runs each job)'}`);
console.log(`control plane: ${process.env.SANDBOX_LAMBDA === 'bundle' ? 'the built bundle (lambda/dist)' : 'the TypeScript source (SANDBOX_LAMBDA=bundle runs the built zip)'}`);
console.log(`send a job: npm run sandbox:send -- queued --labels self-hosted,class:medium`);
console.log(`READY ${sandbox.webhookUrl}`);
for (const [name, value] of Object.entries(sandbox.cliEnv)) console.log(`export ${name}=${value}`);

const stopWatching = sandbox.onRecordWrite(recordPrinter((line) => console.log(line)));

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the sandbox`);
  stopWatching();
  await sandbox.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

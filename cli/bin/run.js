#!/usr/bin/env node
// ecsrunner: the commands are bundled into dist/index.js by `npm run build`.
import module from 'node:module';

// Node.js ≥ 22.1 keeps the compiled code of oclif and the AWS SDK on disk between runs
// (a no-op on older versions): every start after the first skips compiling them.
module.enableCompileCache?.();
// The AWS SDK warns on every start that it will need Node.js 22 from 2027; the README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Imported after the cache is on, so that the cache covers it.
const { Errors, flush, handle, run } = await import('@oclif/core');

const argv = process.argv.slice(2);
try {
  await run(argv, import.meta.url);
  await flush();
} catch (error) {
  // A command reports its own failures (BaseCommand.catch); what reaches here failed before
  // one ran (an unknown command or topic): with --json it is the same one-line JSON error.
  const json = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--json');
  if (!json || error instanceof Errors.ExitError) {
    await handle(error);
  } else {
    const { describeFailure, failureJson } = await import('../dist/errors.js');
    const failure = describeFailure(error);
    process.stdout.write(`${failureJson(failure)}\n`);
    process.exitCode = failure.exit;
  }
}

#!/usr/bin/env node
// ecsrunner: the commands are bundled into dist/index.js by `npm run build`.
import { execute } from '@oclif/core';

// The AWS SDK warns on every start that it will need Node.js 22 from 2027; the README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ dir: import.meta.url });

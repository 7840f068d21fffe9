#!/usr/bin/env node
// The `plexus` command. The CLI is TypeScript like the server; tsx's loader runs it directly.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));

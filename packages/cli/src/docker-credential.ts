#!/usr/bin/env node
/**
 * `docker-credential-tokensmith`, the name docker runs for `"credsStore": "tokensmith"` or a
 * `credHelpers` entry: the same code as `tokensmith docker-credential <action>`, with docker's
 * argument rules (exactly one action; errors on stdout, exit 1).
 */
import { dockerCredentialMain } from './commands/docker-credential.js';

process.exitCode = await dockerCredentialMain(process.argv.slice(2));

#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so `npx registrar migrate` works without a build.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");

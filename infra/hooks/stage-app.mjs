// prepackage: stage what the Functions app runs, and nothing else, in .deploy/ (the folder
// azure.yaml deploys): the compiled functions and lib (no source maps), host.json, the dashboard's
// files, and the production dependencies only, at the versions package-lock.json pins. Plain
// Node (no TypeScript, no shell) so the posix and Windows hooks run the same file.
//   node infra/hooks/stage-app.mjs           stage
//   node infra/hooks/stage-app.mjs --measure stage, then print the file count and size
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const stage = join(root, '.deploy');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args, cwd) {
  const result = spawnSync(npm, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd}`);
}

// A fresh build: nothing a renamed source left behind in dist/ reaches the package.
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(['run', 'build'], root);

for (const entry of existsSync(stage) ? readdirSync(stage) : []) {
  if (entry !== 'README.md') rmSync(join(stage, entry), { recursive: true, force: true });
}
mkdirSync(stage, { recursive: true });
cpSync(join(root, 'dist'), join(stage, 'dist'), { recursive: true, filter: (source) => !source.endsWith('.map') });
cpSync(join(root, 'host.json'), join(stage, 'host.json'));
cpSync(join(root, 'lib', 'dashboard', 'public'), join(stage, 'lib', 'dashboard', 'public'), { recursive: true });
writeFileSync(join(stage, '.funcignore'), '# Everything in this folder runs; infra/hooks/stage-app.mjs put it here.\nREADME.md\n');

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const deployed = { name: manifest.name, version: manifest.version, type: manifest.type, private: true, engines: manifest.engines, main: manifest.main, dependencies: manifest.dependencies };
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(deployed, null, 2)}\n`);
// The project's lock, trimmed to the production tree by npm itself: the same versions CI tested.
cpSync(join(root, 'package-lock.json'), join(stage, 'package-lock.json'));
run(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], stage);

// What packages ship for editors and debuggers, never loaded at run time: source maps, TypeScript
// sources and declarations, readmes and changelogs (about two thirds of the bytes). Licences stay.
const NOT_RUN = /\.(map|ts|mts|cts|md|markdown)$/i;
const trim = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) trim(path);
    else if (NOT_RUN.test(entry.name) && !/^licen[cs]e/i.test(entry.name)) rmSync(path);
  }
};
trim(join(stage, 'node_modules'));

if (process.argv.includes('--measure')) {
  let files = 0;
  let bytes = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        files += 1;
        bytes += statSync(path).size;
      }
    }
  };
  walk(stage);
  process.stdout.write(`.deploy: ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB unpacked\n`);
}

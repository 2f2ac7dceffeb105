// Records what the shipped build was built from: a sha256 over console/'s sources and lockfile
// (the files SOURCES names, in sorted order). tests/console/test_build.py recomputes it and
// fails when neighbor_api/console/static is older than its sources.
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const SOURCES = ['src', 'index.html', 'package.json', 'package-lock.json', 'vite.config.ts', 'tsconfig.json', 'codegen.ts']

function walk(path) {
  if (statSync(path).isDirectory()) return readdirSync(path).flatMap((name) => walk(join(path, name)))
  return [path]
}

const files = SOURCES.flatMap((name) => walk(join(root, name)))
  .map((path) => relative(root, path).split(sep).join('/'))
  .sort()
const hash = createHash('sha256')
for (const file of files) {
  hash.update(file + '\0')
  hash.update(readFileSync(join(root, file)))
  hash.update('\0')
}
const out = join(root, '..', 'neighbor_api', 'console', 'static', 'build-stamp.json')
writeFileSync(out, JSON.stringify({ sources: hash.digest('hex'), files: files.length }, null, 2) + '\n')
console.log(`stamped ${files.length} files -> ${relative(root, out)}`)

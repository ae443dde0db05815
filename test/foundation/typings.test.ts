import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { renderRosTypes, repoRoot, ROS_TYPES_FILE } from '../../scripts/generate-ros-types.js';

const fixtures = join(repoRoot, 'test/foundation/fixtures');

/** Type-checks the fixtures together with the generated typings, as the project's tsconfig does. */
function typeCheck(fixtureNames: string[]): Map<string, string[]> {
  mkdirSync(join(repoRoot, '.taskmem-tmp'), { recursive: true });
  // Inside the repository so that 'rclnodejs' resolves from its node_modules.
  const dir = mkdtempSync(join(repoRoot, '.taskmem-tmp', 'typings-'));
  try {
    const files = fixtureNames.map((name) => {
      const target = join(dir, name.replace(/\.txt$/, ''));
      copyFileSync(join(fixtures, name), target);
      return target;
    });
    // The typings first, as tsconfig.json includes them (so they win over an rclnodejs-generated interfaces.d.ts).
    const program = ts.createProgram([join(repoRoot, ROS_TYPES_FILE), ...files], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    const byFile = new Map<string, string[]>(fixtureNames.map((name) => [name, []]));
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const file = diagnostic.file?.fileName ?? '';
      const name = fixtureNames.find((n) => file.endsWith(n.replace(/\.txt$/, '')));
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!name) throw new Error(`type error outside the fixtures: ${file}: ${text}`);
      byFile.get(name)!.push(text);
    }
    return byFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('generated rclnodejs typings', function () {
  this.timeout(60_000);

  it('let tsc reject a wrong field name, naming it, and accept correct code', () => {
    const errors = typeCheck(['typings-correct.ts.txt', 'typings-wrong.ts.txt']);
    assert.deepEqual(errors.get('typings-correct.ts.txt'), []);
    const wrong = errors.get('typings-wrong.ts.txt')!.join('\n');
    assert.match(wrong, /'widht' does not exist on type 'Image'/);
    assert.match(wrong, /'memories_considred' does not exist in type 'Ask_Feedback'/);
    assert.equal(errors.get('typings-wrong.ts.txt')!.length, 2, wrong);
  });

  it('are up to date with the interface definitions (run `npm run gen` when this fails)', () => {
    const checkedIn = readFileSync(join(repoRoot, ROS_TYPES_FILE), 'utf8');
    assert.ok(checkedIn === renderRosTypes(repoRoot), `${ROS_TYPES_FILE} is stale: run npm run gen`);
  });
});

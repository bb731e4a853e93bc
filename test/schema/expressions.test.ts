import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiagnosticError } from '../../src/schema/diagnostics.js';
import { Sensitive, deepUnmark } from '../../src/schema/values.js';
import { evalExact, evalExpr, tempDir } from '../helpers.js';

const fails = (src: string, summary: string, detail: RegExp) => {
  assert.throws(
    () => evalExpr(src),
    (e: unknown) => e instanceof DiagnosticError && e.summary === summary && detail.test(e.detail),
  );
};

describe('functions', () => {
  it('env reads the environment and takes a default', () => {
    const fn = { baseDir: '.', env: { HOME_DC: 'dc1' } };
    assert.equal(evalExpr('env("HOME_DC")', { fn }), 'dc1');
    assert.equal(evalExpr('env("MISSING", "fallback")', { fn }), 'fallback');
    assert.throws(() => evalExpr('env("MISSING")', { fn }), /MISSING is not set/);
  });

  it('file reads a UTF-8 file relative to the configuration directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'motd.txt'), 'héllo\n');
    assert.equal(evalExpr('file("motd.txt")', { fn: { baseDir: dir, env: {} } }), 'héllo\n');
    assert.throws(
      () => evalExpr('file("nope.txt")', { fn: { baseDir: dir, env: {} } }),
      /no file exists at "nope.txt"/,
    );
  });

  it('lower and upper', () => {
    assert.equal(evalExpr('lower("DC0_H0")'), 'dc0_h0');
    assert.equal(evalExpr('upper("vm-1")'), 'VM-1');
  });

  it('format supports %s %d %f %q %v %t and %%', () => {
    assert.equal(
      evalExpr('format("%s-%d-%.2f-%q-%v-%t-%%", "a", 7, 3.14159, "q", [1], true)'),
      'a-7-3.14-"q"-[1]-true-%',
    );
    assert.throws(() => evalExpr('format("%d", "x")'), /%d requires a whole number/);
    assert.throws(() => evalExpr('format("%s %s", "a")'), /not enough arguments/);
  });

  it('join and split', () => {
    assert.equal(evalExpr('join(",", ["a", "b"], ["c"])'), 'a,b,c');
    assert.deepEqual(evalExpr('split("/", "a/b/c")'), ['a', 'b', 'c']);
    assert.deepEqual(evalExpr('split(",", "")'), []);
  });

  it('concat and merge', () => {
    assert.deepEqual(evalExpr('concat([1], [2, 3], [])'), [1, 2, 3]);
    assert.deepEqual(evalExpr('merge({a = 1, b = 1}, {b = 2}, null)'), { a: 1, b: 2 });
    assert.throws(() => evalExpr('merge({a = 1}, "x")'), /must be a map or object/);
  });

  it('lookup with and without default', () => {
    assert.equal(evalExpr('lookup({a = "x"}, "a")'), 'x');
    assert.equal(evalExpr('lookup({a = "x"}, "b", "d")'), 'd');
    assert.throws(() => evalExpr('lookup({a = "x"}, "b")'), /no key "b"/);
  });

  it('coalesce skips null and empty strings', () => {
    assert.equal(evalExpr('coalesce(null, "", "c")'), 'c');
    assert.throws(() => evalExpr('coalesce(null, "")'), /no non-null/);
  });

  it('tostring and tonumber', () => {
    assert.equal(evalExpr('tostring(12)'), '12');
    assert.equal(evalExpr('tostring(true)'), 'true');
    assert.equal(evalExpr('tonumber("4096")'), 4096);
    assert.throws(() => evalExpr('tonumber("12GB")'), /cannot convert "12GB" to number/);
    assert.throws(() => evalExpr('tostring([1])'), /cannot convert list to string/);
  });

  it('length, keys, values, contains', () => {
    assert.equal(evalExpr('length([1, 2])'), 2);
    assert.deepEqual(evalExpr('keys({b = 1, a = 2})'), ['a', 'b']);
    assert.deepEqual(evalExpr('values({b = 1, a = 2})'), [2, 1]);
    assert.equal(evalExpr('contains(["a"], "a")'), true);
  });

  it('argument count and type errors name the function and parameter', () => {
    fails(
      'lower()',
      'Not enough function arguments',
      /Function "lower" expects 1 argument\(s\). Missing value for "str"/,
    );
    fails('lower("a", "b")', 'Too many function arguments', /expects only 1/);
    fails('lower([1])', 'Invalid function argument', /Invalid value for "str" parameter: string required, got list/);
    fails('nosuch(1)', 'Call to unknown function', /There is no function named "nosuch"/);
  });

  it('expands a final list argument with ...', () => {
    assert.deepEqual(evalExpr('concat([[1], [2]]...)'), [1, 2]);
  });
});

describe('operators and templates', () => {
  it('arithmetic with precedence, comparison, logic, conditionals', () => {
    assert.equal(evalExpr('1 + 2 * 3 - 4 / 2'), 5);
    assert.equal(evalExpr('7 % 3'), 1);
    assert.equal(evalExpr('(1 + 2) * 3'), 9);
    assert.equal(evalExpr('-2 + 5'), 3);
    assert.equal(evalExpr('2 >= 2 && 1 < 2 || false'), true);
    assert.equal(evalExpr('!true'), false);
    assert.equal(evalExpr('"a" == "a" ? "yes" : "no"'), 'yes');
    assert.equal(evalExpr('[1, {a = 2}] == [1, {a = 2}]'), true);
    assert.equal(evalExpr('{a = 1} != {a = 2}'), true);
    assert.equal(evalExpr('1 / 0'), Infinity); // cty's division, as HCL has it
    fails('"x" + 1', 'Invalid operand', /left operand: a number is required, got string/);
    fails('1 ? 2 : 3', 'Invalid operand', /condition: a bool is required/);
  });

  it('a conditional reports only its chosen branch; && and || check both operands (as HCL does)', () => {
    assert.equal(evalExpr('true ? 1 : nosuch()'), 1);
    assert.equal(evalExpr('true ? 1 : "x"'), '1');
    fails('false && "x"', 'Invalid operand', /right operand: a bool is required/);
  });

  it('templates interpolate, escape and keep a lone interpolation typed', () => {
    assert.equal(evalExpr('"vm-${1 + 1}-${"x"}"'), 'vm-2-x');
    assert.equal(evalExpr('"literal $${not} %%{this}"'), 'literal ${not} %{this}');
    assert.equal(evalExpr('"tab\\there \\u00e9"'), 'tab\there é');
    assert.deepEqual(evalExpr('"${[1, 2]}"'), [1, 2]);
    fails('"a ${null}"', 'Invalid template interpolation value', /null/);
  });

  it('heredocs, including <<- indentation stripping', () => {
    assert.equal(evalExpr('<<EOT\n  a\n  b ${1}\nEOT\n'), '  a\n  b 1\n');
    assert.equal(evalExpr('<<-EOT\n    a\n      b\n    EOT\n'), 'a\n  b\n');
    // HCL: the closing marker's line must end, and a line starting with an interpolation keeps
    // every line's indentation.
    assert.throws(() => evalExpr('<<EOT\na\nEOT'), /Unterminated template string/);
    assert.equal(evalExpr('<<-EOT\n    a\n${1}\n    EOT\n'), '    a\n1\n');
  });

  it('collections, indexing and for expressions', () => {
    assert.equal(evalExpr('[10, 20][1]'), 20);
    assert.equal(evalExpr('{a = {b = "c"}}.a.b'), 'c');
    assert.equal(evalExpr('{"k-1" = 1}["k-1"]'), 1);
    assert.deepEqual(evalExpr('[for x in [1, 2, 3] : x * 2 if x > 1]'), [4, 6]);
    assert.deepEqual(evalExpr('{for k, v in {a = 1, b = 2} : upper(k) => v}'), { A: 1, B: 2 });
    assert.deepEqual(evalExpr('{for v in ["a", "b", "a"] : v => 1...}'), { a: [1, 1], b: [1] });
    fails('[1][5]', 'Invalid index', /out of range/);
    fails('{a = 1}.b', 'Unsupported attribute', /does not have an attribute named "b"/);
  });

  it('sensitive values stay marked through every operation and never print', () => {
    const scope = { var: { pw: new Sensitive('hunter2') } };
    for (const src of ['var.pw', '"x${var.pw}"', 'upper(var.pw)', 'var.pw == "a" ? "y" : "n"', 'join("", [var.pw])']) {
      const v = evalExpr(src, scope);
      assert.ok(v instanceof Sensitive, src);
      assert.equal(JSON.stringify({ v }), '{"v":"(sensitive)"}');
      assert.equal(`${v}`, '(sensitive)');
    }
    assert.equal(deepUnmark(evalExact('upper(var.pw)', scope))[0], 'HUNTER2');
  });
});

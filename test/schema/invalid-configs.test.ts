// Each case: a broken configuration and the exact diagnostic(s) it must produce, with position.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { VarInput } from '../../src/schema/inputs.js';
import { load, tempDir } from '../helpers.js';

const SRC = 'source "local" "l" {\n  directory = "."\n}\n';

interface Case {
  name: string;
  text: string;
  inputs?: VarInput[];
  /** [line, column, summary, detail] — line/column 0 for a diagnostic without position. */
  want: [number, number, string, string][];
}

const MULTI_LINE =
  'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape ' +
  'to represent a newline character or use the "heredoc" multi-line template syntax.';

const CASES: Case[] = [
  {
    name: 'unterminated string',
    text: 'vm "a" {\n  source = "oops\n}\n',
    // As HCL reports it: each newline inside the string, then the string that never ends.
    want: [
      [2, 17, 'Invalid multi-line string', MULTI_LINE],
      [2, 17, 'Unterminated template string', 'No closing marker was found for the string.'],
      [3, 2, 'Invalid multi-line string', MULTI_LINE],
    ],
  },
  {
    name: 'missing value',
    text: 'policy "p" {\n  boot_test =\n}\n',
    want: [[2, 14, 'Invalid expression', 'Expected the start of an expression, but found the end of the line.']],
  },
  {
    name: 'unclosed block',
    text: 'policy "p" {\n  trim = true\n',
    want: [
      [
        1,
        12,
        'Unclosed configuration block',
        'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace ' +
          'nesting elsewhere in this file.',
      ],
    ],
  },
  {
    name: 'invalid character',
    text: 'policy "p" {\n  trim = @\n}\n',
    want: [[2, 10, 'Invalid character', 'This character is not used within the language: "@".']],
  },
  {
    name: 'two arguments on one line',
    text: 'policy "p" {\n  trim = true compress = true\n}\n',
    want: [[2, 15, 'Missing newline after argument', 'An argument definition must end with a newline.']],
  },
  {
    name: 'unknown block type',
    text: 'resource "x" {\n}\n',
    want: [[1, 1, 'Unsupported block type', 'Blocks of type "resource" are not expected here. Did you mean "source"?']],
  },
  {
    name: 'unknown block type with suggestion',
    text: 'polcy "x" {\n}\n',
    want: [[1, 1, 'Unsupported block type', 'Blocks of type "polcy" are not expected here. Did you mean "policy"?']],
  },
  {
    name: 'unknown attribute with suggestion',
    text: 'policy "p" {\n  boot_tset = true\n}\n',
    want: [
      [2, 3, 'Unsupported argument', 'An argument named "boot_tset" is not expected here. Did you mean "boot_test"?'],
    ],
  },
  {
    name: 'wrong type',
    text: `${SRC}vm "a" {\n  source = source.local.l\n  disks  = ["a.vmdk"]\n  cpus   = "two"\n}\n`,
    want: [
      [
        7,
        12,
        'Incorrect attribute value type',
        'Inappropriate value for attribute "cpus": whole number required, got string.',
      ],
    ],
  },
  {
    name: 'value not allowed',
    text: 'policy "p" {\n  output_format = "vmdk"\n}\n',
    want: [[2, 19, 'Invalid value', 'The attribute "output_format" must be one of "qcow2", "raw"; got "vmdk".']],
  },
  {
    name: 'an output h2k does not have',
    text: 'policy "p" {\n  outputs = ["libvirt", "vmware"]\n}\n',
    want: [
      [2, 13, 'Invalid value', 'The attribute "outputs" (at [1]) must be one of "libvirt", "kubevirt"; got "vmware".'],
    ],
  },
  {
    name: 'a source network attached to two libvirt backends',
    text: 'policy "p" {\n  networks = {\n    "VM Network" = { bridge = "br0", network = "lan" }\n  }\n}\n',
    want: [
      [
        2,
        14,
        'Invalid value',
        'The attribute "networks" (at .VM Network) may name one of network, bridge and macvtap; ' +
          'got {"bridge":"br0","network":"lan"}.',
      ],
    ],
  },
  {
    name: 'a source network attached nowhere, and a backend misspelt',
    text: 'policy "p" {\n  networks = {\n    "a" = {}\n    "b" = { brige = "br0" }\n  }\n}\n',
    want: [
      [2, 14, 'Invalid value', 'The attribute "networks" (at .a) must be an object with at least 1 key(s); got {}.'],
      [2, 14, 'Unsupported argument', 'The attribute "networks" (at .b) has no key "brige". Did you mean "bridge"?'],
    ],
  },
  {
    name: 'an output listed twice',
    text: 'policy "p" {\n  outputs = ["kubevirt", "kubevirt"]\n}\n',
    want: [[2, 13, 'Invalid value', 'The attribute "outputs" names "kubevirt" twice; each element may appear once.']],
  },
  {
    name: 'below minimum',
    text: 'policy "p" {\n  boot_timeout = 5\n}\n',
    want: [[2, 18, 'Invalid value', 'The attribute "boot_timeout" must be at least 10; got 5.']],
  },
  {
    name: 'a service-check window as long as the boot test',
    text: 'policy "p" {\n  boot_timeout  = 120\n  check_timeout = 120\n  check "tcp" { port = 80 }\n}\n',
    want: [
      [
        3,
        19,
        'Invalid value',
        'check_timeout (120 s) must be shorter than boot_timeout (120 s): the service checks run within the boot test.',
      ],
    ],
  },
  {
    name: "a vm's overrides that shorten the boot test below its policy's check window",
    text:
      `${SRC}policy "p" {\n  check "tcp" { port = 80 }\n}\n` +
      `vm "a" {\n  source    = source.local.l\n  disks     = ["a.vmdk"]\n  policy    = policy.p\n` +
      `  overrides = { boot_timeout = 60 }\n}\n`,
    want: [
      [
        11,
        15,
        'Invalid value',
        'check_timeout (60 s) must be shorter than boot_timeout (60 s): the service checks run within the boot test.',
      ],
    ],
  },
  {
    name: 'bad MAC inside a list',
    text: `${SRC}vm "a" {\n  source = source.local.l\n  disks  = ["a.vmdk"]\n  nics   = [{ mac = "zz" }]\n}\n`,
    want: [
      [
        7,
        12,
        'Invalid value',
        'The attribute "nics" (at [0].mac) must be a MAC address like 00:50:56:aa:bb:cc; got "zz".',
      ],
    ],
  },
  {
    name: 'missing required argument',
    text: 'vm "a" {\n  disks = ["a.vmdk"]\n}\n',
    want: [[1, 1, 'Missing required argument', 'The argument "source" is required, but no definition was found.']],
  },
  {
    name: 'local vm without disks',
    text: `${SRC}vm "a" {\n  source = source.local.l\n}\n`,
    want: [
      [4, 1, 'Missing required argument', 'A vm from a local source needs "disks": its disk files, boot disk first.'],
    ],
  },
  {
    name: 'undeclared variable',
    text: 'policy "p" {\n  output_dir = var.nope\n}\n',
    want: [
      [
        2,
        16,
        'Reference to undeclared input variable',
        'An input variable with the name "nope" has not been declared. Declare it with a variable "nope" {} block.',
      ],
    ],
  },
  {
    name: 'undeclared local',
    text: 'policy "p" {\n  output_dir = local.nope\n}\n',
    want: [[2, 16, 'Reference to undeclared local value', 'A local value with the name "nope" has not been declared.']],
  },
  {
    name: 'undeclared source',
    text: 'vm "a" {\n  source = source.local.nope\n  disks  = ["x"]\n}\n',
    want: [[2, 12, 'Reference to undeclared source', 'A source "local" "nope" has not been declared.']],
  },
  {
    name: 'undeclared policy',
    text: `${SRC}vm "a" {\n  source = source.local.l\n  disks  = ["x"]\n  policy = policy.nope\n}\n`,
    want: [[7, 12, 'Reference to undeclared policy', 'A policy with the name "nope" has not been declared.']],
  },
  {
    name: 'bare word instead of string',
    text: 'policy "p" {\n  output_format = qcow2\n}\n',
    want: [
      [
        2,
        19,
        'Invalid reference',
        'A reference must start with var., local., source., policy. or each.; "qcow2" does not. If you meant a ' +
          'string, put it in quotes.',
      ],
    ],
  },
  {
    name: 'each without for_each',
    text: `${SRC}vm "a" {\n  source = source.local.l\n  disks  = [each.key]\n}\n`,
    want: [
      [
        6,
        13,
        'Reference to "each" in context without for_each',
        'The "each" object can be used only in a vm block that has for_each set.',
      ],
    ],
  },
  {
    name: 'cycle between locals',
    text: 'locals {\n  a = local.b\n  b = "${local.a}-x"\n}\n',
    want: [
      [
        2,
        3,
        'Cycle in references',
        'These objects refer to each other in a loop: local.a → local.b → local.a. Break the loop by removing ' +
          'one of the references.',
      ],
    ],
  },
  {
    name: 'cycle between policies',
    text: 'policy "a" {\n  extends = policy.b\n}\npolicy "b" {\n  extends = policy.a\n}\n',
    want: [
      [
        1,
        1,
        'Cycle in references',
        'These objects refer to each other in a loop: policy.a → policy.b → policy.a. Break the loop by ' +
          'removing one of the references.',
      ],
    ],
  },
  {
    name: 'duplicate policy',
    text: 'policy "a" {\n}\npolicy "a" {\n}\n',
    want: [[3, 1, 'Duplicate policy', 'A policy named "a" was already declared at main.h2k.hcl:1:1.']],
  },
  {
    name: 'duplicate variable',
    text: 'variable "x" {\n}\nvariable "x" {\n}\n',
    want: [
      [
        1,
        1,
        'No value for required variable',
        'The input variable "x" is not set and has no default value. Use -var x=..., -var-file, or set H2K_VAR_x.',
      ],
      [
        3,
        1,
        'Duplicate variable declaration',
        'A variable named "x" was already declared at main.h2k.hcl:1:1. Variable names must be unique within a ' +
          'configuration.',
      ],
    ],
  },
  {
    name: 'attribute set twice',
    text: 'policy "p" {\n  trim = true\n  trim = false\n}\n',
    want: [
      [
        3,
        3,
        'Attribute redefined',
        'The argument "trim" was already set at main.h2k.hcl:2:3. Each argument may be set only once.',
      ],
    ],
  },
  {
    name: 'unknown function',
    text: 'policy "p" {\n  output_dir = pathjoin("a", "b")\n}\n',
    want: [[2, 16, 'Call to unknown function', 'There is no function named "pathjoin".']],
  },
  {
    name: 'wrong argument type to a function',
    text: 'policy "p" {\n  output_dir = upper(["a"])\n}\n',
    want: [[2, 22, 'Invalid function argument', 'Invalid value for "str" parameter: string required, got list.']],
  },
  {
    name: 'missing label',
    text: 'policy {\n}\n',
    want: [[1, 1, 'Missing name for policy', 'All policy blocks must have 1 label(s): name.']],
  },
  {
    name: 'unknown backend type',
    text: 'backend "s3" {\n}\n',
    want: [
      [
        1,
        9,
        'Unknown backend type',
        'There is no backend type "s3"; the backend types are "pg" (without a backend block, state lives in the ' +
          "configuration's .h2k directory).",
      ],
    ],
  },
  {
    name: 'two backend blocks',
    text: 'backend "pg" {\n  conn_str = "postgres://db/h2k"\n}\nbackend "pg" {\n  conn_str = "postgres://db2/h2k"\n}\n',
    want: [
      [
        4,
        1,
        'Duplicate backend configuration',
        'A configuration may have one backend block; one was already declared at main.h2k.hcl:1:1.',
      ],
    ],
  },
  {
    name: 'unknown source type',
    text: 'source "s3" "x" {\n}\n',
    want: [
      [
        1,
        8,
        'Unknown source type',
        'There is no source type "s3"; the source types are "esxi", "local", "ova" and "vsphere".',
      ],
    ],
  },
  {
    name: 'reference to the wrong kind of block',
    text: `${SRC}vm "a" {\n  source = policy.p\n  disks  = ["x"]\n}\npolicy "p" {\n}\n`,
    want: [
      [
        5,
        12,
        'Invalid reference',
        '"source" must be a reference to a source block, like source.local.lab; got policy.p.',
      ],
    ],
  },
  {
    name: 'for_each over a list of numbers',
    text: `${SRC}vm "a" {\n  for_each = [1, 2]\n  source   = source.local.l\n  disks    = ["x"]\n}\n`,
    want: [
      [
        5,
        14,
        'Invalid for_each argument',
        'A for_each list must contain only strings (they become the instance keys); found number. Use a map to ' +
          'iterate over objects.',
      ],
    ],
  },
  {
    name: 'variable default of the wrong type',
    text: 'variable "n" {\n  type    = number\n  default = "many"\n}\n',
    want: [
      [
        3,
        13,
        'Invalid default value for variable',
        "This default value is not compatible with the variable's type constraint: number required, got string.",
      ],
    ],
  },
  {
    name: 'invalid type constraint',
    text: 'variable "n" {\n  type = integer\n}\n',
    want: [
      [
        2,
        10,
        'Invalid type specification',
        'A type is string, number, bool, any, list(T), set(T), map(T) or object({ name = T, ... }).',
      ],
    ],
  },
  {
    name: 'credentials in a vSphere URL',
    text: 'source "vsphere" "v" {\n  url = "https://root:pw@vc.example/sdk"\n}\n',
    want: [
      [
        2,
        9,
        'Credentials in URL',
        'The url must not contain a user name or password; set username and password (a sensitive variable) instead.',
      ],
    ],
  },
  {
    name: 'vSphere vm with two selectors',
    text:
      'source "vsphere" "v" {\n  url = "https://vc/sdk"\n}\nvm "a" {\n  source = source.vsphere.v\n  name   = ' +
      '"a"\n  path   = "/DC0/vm/a"\n}\n',
    want: [
      [
        7,
        3,
        'Conflicting VM selectors',
        'A vm from a vSphere source needs exactly one of "path", "name", "uuid" or "discover".',
      ],
    ],
  },
  {
    name: 'undeclared -var',
    text: SRC,
    inputs: [{ kind: 'var', text: 'nope=1' }],
    want: [
      [
        0,
        0,
        'Value for undeclared variable',
        'A variable named "nope" was assigned on the command line, but the configuration does not declare a ' +
          'variable of that name. To use this value, add a variable "nope" {} block.',
      ],
    ],
  },
  {
    name: 'missing -var-file',
    text: SRC,
    inputs: [{ kind: 'file', path: '/nonexistent/x.hcl' }],
    want: [
      [0, 0, 'Failed to read variables file', 'The file "/nonexistent/x.hcl" given with -var-file does not exist.'],
    ],
  },
  {
    name: '-var of the wrong type',
    text: 'variable "n" {\n  type = number\n}\n',
    inputs: [{ kind: 'var', text: 'n=abc' }],
    want: [
      [
        1,
        1,
        'Invalid value for input variable',
        'The value from -var n=... is not suitable for var.n: number required, got string.',
      ],
    ],
  },
];

describe('invalid configurations: exact diagnostics', () => {
  it('has at least 25 distinct cases', () => assert.ok(CASES.length >= 25, `${CASES.length}`));
  for (const c of CASES) {
    it(c.name, () => {
      const r = load({ 'main.h2k.hcl': c.text }, { inputs: c.inputs });
      assert.equal(r.config, undefined, 'an invalid configuration yields no config');
      const got = r.diagnostics.map((d) => [
        d.range?.start.line ?? 0,
        d.range?.start.column ?? 0,
        d.summary,
        d.detail.replaceAll(`${r.dir}/`, ''),
      ]);
      assert.deepEqual(got, c.want);
      for (const d of r.diagnostics) if (d.range) assert.ok(d.range.filename.endsWith('main.h2k.hcl'));
    });
  }

  it('reports every error at once, across files', () => {
    const r = load({
      'a.h2k.hcl': 'policy "p" {\n  trim = "yes"\n}\n',
      'b.h2k.hcl': 'policy "q" {\n  bogus = 1\n}\nwidget "w" {\n}\n',
      'c.h2k.hcl': 'policy "r" {\n  trim = \n}\n',
    });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.range!.filename.split('/').pop()}:${d.range!.start.line}:${d.summary}`),
      [
        'a.h2k.hcl:2:Incorrect attribute value type',
        'b.h2k.hcl:2:Unsupported argument',
        'b.h2k.hcl:4:Unsupported block type',
        'c.h2k.hcl:2:Invalid expression',
      ],
    );
  });

  it('a -var-file with an undeclared name is a warning with its position', () => {
    const dir = tempDir();
    const f = join(dir, 'vals.hcl');
    writeFileSync(f, 'x = 1\nzz = 2\n');
    const r = load({ 'main.h2k.hcl': 'variable "x" {\n  type = number\n}\n' }, { inputs: [{ kind: 'file', path: f }] });
    assert.ok(r.config);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.range?.start.line, d.summary]),
      [['warning', 2, 'Value for undeclared variable']],
    );
  });

  it('never echoes a sensitive value in a diagnostic', () => {
    const r = load({
      'main.h2k.hcl':
        'variable "pw" {\n  sensitive = true\n  default = "hunter2"\n}\npolicy "p" {\n  output_format = var.pw\n}\n',
    });
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].detail, /got \(sensitive\)/);
    assert.doesNotMatch(JSON.stringify(r.diagnostics), /hunter2/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderString, compile, TemplateError, sprintf, formatG } from './index.ts';

const inspect = {
  Id: 'abc123',
  Name: '/web',
  State: { Status: 'running', Running: true, Paused: false, Pid: 4242, ExitCode: 0, Health: null },
  Config: {
    Env: ['PATH=/usr/bin', 'A=1'],
    Cmd: ['sh', '-c', 'true'],
    Labels: { a: 'x', 'com.example.k': 'v' },
    Tty: false,
    StopTimeout: 10,
  },
  Mounts: [
    { Type: 'bind', Source: '/src1', Destination: '/d1', RW: true },
    { Type: 'volume', Source: '/var/lib/v', Destination: '/d2', RW: false },
  ],
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
  Size: 1.5,
  Big: 1e21,
};

const table: [string, string][] = [
  ['{{.State.Pid}}', '4242'],
  ['{{json .Config.Env}}', '["PATH=/usr/bin","A=1"]'],
  ['{{range .Mounts}}{{.Source}}{{end}}', '/src1/var/lib/v'],
  ['{{index .Config.Labels "a"}}', 'x'],
  ['{{index .Config.Labels "missing"}}', ''],
  ['{{.Name | upper}}', '/WEB'],
  ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
  ['{{if .State.Paused}}p{{else if .State.Running}}r{{else}}x{{end}}', 'r'],
  ['{{with .State}}{{.Status}}{{end}}', 'running'],
  ['{{with .Nope}}y{{else}}n{{end}}', 'n'],
  ['{{.Config.Labels}}', 'map[a:x com.example.k:v]'],
  ['{{.Config.Cmd}}', '[sh -c true]'],
  ['{{.Nope}}', '<no value>'],
  ['{{.Nope.Deeper}}', '<no value>'],
  ['{{.State.Health}}', '<nil>'],
  ['{{.Config.Tty}}', 'false'],
  ['{{.Size}} {{.Big}}', '1.5 1e+21'],
  ['{{json .State}}', '{"Status":"running","Running":true,"Paused":false,"Pid":4242,"ExitCode":0,"Health":null}'],
  ['{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}', '0:/d1 1:/d2 '],
  ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', 'a=x;com.example.k=v;'],
  ['{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '172.17.0.2'],
  ['{{range .Nope}}x{{else}}empty{{end}}', 'empty'],
  ['{{range .Mounts}}{{if not .RW}}{{break}}{{end}}{{.Destination}}{{end}}', '/d1'],
  ['{{range .Mounts}}{{if .RW}}{{continue}}{{end}}{{.Destination}}{{end}}', '/d2'],
  ['{{len .Mounts}} {{len .Config.Labels}} {{len .Name}}', '2 2 4'],
  ['{{join .Config.Cmd " "}}', 'sh -c true'],
  ['{{split "a:b:c" ":"}}', '[a b c]'],
  ['{{index (split "a:b:c" ":") 1}}', 'b'],
  ['{{(index .Mounts 1).Source}}', '/var/lib/v'],
  ['{{lower "ABC"}} {{title "hello wide world"}}', 'abc Hello Wide World'],
  [
    '{{printf "%s:%d %v %q %t %x %5.2f|%-4s|%04d" .Name .State.Pid .Config.Cmd .Name true 255 3.14159 "ab" 7}}',
    '/web:4242 [sh -c true] "/web" true ff  3.14|ab  |0007',
  ],
  ['{{printf "%d" "x"}} {{printf "%s"}} {{printf "%s" 1 2}}', '%!d(string=x) %!s(MISSING) %!s(int=1)%!(EXTRA int=2)'],
  ['{{print 1 2 "a" "b" 3}}', '1 2ab3'],
  ['{{println "a" 1}}', 'a 1\n'],
  [
    '{{eq .State.Pid 4242}} {{ne .Name "/web"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}',
    'true false true true true false',
  ],
  ['{{eq .State.Status "exited" "running"}}', 'true'],
  ['{{and 1 "x"}} {{and 0 "x"}} {{or "" "y"}} {{or 0 ""}} {{not .State.Running}}', 'x 0 y  false'],
  [
    '{{$n := .Name}}{{$n}}{{$}}',
    '/webmap[Big:1e+21 Config:map[Cmd:[sh -c true] Env:[PATH=/usr/bin A=1] Labels:map[a:x com.example.k:v] StopTimeout:10 Tty:false] Id:abc123 Mounts:[map[Destination:/d1 RW:true Source:/src1 Type:bind] map[Destination:/d2 RW:false Source:/var/lib/v Type:volume]] Name:/web NetworkSettings:map[Networks:map[bridge:map[IPAddress:172.17.0.2]]] Size:1.5 State:map[ExitCode:0 Health:<nil> Paused:false Pid:4242 Running:true Status:running]]',
  ],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['a {{- " b " -}} c', 'a b c'],
  ['a  {{- /* gone */ -}}  b', 'ab'],
  ['{{"quoted\\n"}}{{`raw\\n`}}', 'quoted\nraw\\n'],
  ['{{.State.Pid | printf "%05d"}}', '04242'],
  ['{{pad "x" 1 2}}|{{pad "" 1 2}}|{{truncate "abcdef" 3}}', ' x  ||abc'],
  ['{{-3}} {{0x10}} {{1.5e3}} {{true}} {{nil | print}}', '-3 16 1500 true <nil>'],
];

test("templates render like Go text/template with docker's functions", () => {
  for (const [src, want] of table) {
    assert.equal(renderString(src, inspect), want, src);
  }
});

test('parse errors: undefined functions and unbalanced control', () => {
  assert.throws(
    () => compile('{{nope .}}'),
    (e: unknown) => e instanceof TemplateError && /function "nope" not defined/.test(e.message),
  );
  assert.throws(() => compile('{{if .A}}x'), /unexpected EOF/);
  assert.throws(() => compile('{{end}}'), /unexpected \{\{end\}\}/);
  assert.throws(() => compile('{{$x}}'), /undefined variable "\$x"/);
  assert.throws(() => compile('{{.A'), /unclosed action/);
});

test('execution errors', () => {
  assert.throws(() => renderString('{{.Name.Foo}}', inspect), /can't evaluate field Foo in type string/);
  assert.throws(
    () => renderString('{{.State.Health.Status}}', inspect),
    /nil pointer evaluating interface \{\}\.Status/,
  );
  assert.throws(() => renderString('{{index .Mounts 5}}', inspect), /index out of range: 5/);
  assert.throws(() => renderString('{{eq .Name 1}}', inspect), /incompatible types for comparison/);
  assert.throws(() => renderString('{{upper 1}}', inspect), /wrong type for value; expected string; got int/);
});

test('methods with arguments (ps rows use .Label "k")', () => {
  const row = { Names: 'web', Label: (k: unknown) => (({ a: 'b' }) as Record<string, string>)[String(k)] ?? '' };
  assert.equal(renderString('{{.Names}} {{.Label "a"}}|{{.Label "z"}}', row), 'web b|');
});

test('Go number formatting', () => {
  assert.equal(formatG(4.2617, 3), '4.26');
  assert.equal(formatG(999.95, 3), '1e+03');
  assert.equal(formatG(100, 3), '100');
  assert.equal(formatG(0.00001234, -1), '1.234e-05');
  assert.equal(formatG(1234567.5, -1), '1.2345675e+06');
  assert.equal(sprintf('%v %v', [1.5, 2]), '1.5 2');
  assert.equal(sprintf('%e %g %x %X %c %%', [1234.5678, 0.5, 'hi', 255, 65]), '1.234568e+03 0.5 6869 FF A %');
});

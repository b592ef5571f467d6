// duckdb.mjs — run SQL through DuckDB (@duckdb/node-api) and print the rows of
// the last statement as a JSON array of objects on stdout.
//
//   IGEXPORT_NODE_DIR=.tools/node node duckdb.mjs [DATABASE] < query.sql
//
// DATABASE is a DuckDB file (default ":memory:"). The SQL on stdin may hold
// several statements separated by ";"; they run in order on one connection.
// Values are DuckDB's JSON rendering (getRowObjectsJson): BIGINT, HUGEINT and
// DECIMAL as strings, INTEGER/SMALLINT/DOUBLE as numbers, DATE/TIMESTAMP as
// strings, LIST as arrays, STRUCT as objects, NULL as null.
// On error the message goes to stderr and the exit status is 1.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const nodeDir = process.env.IGEXPORT_NODE_DIR;
if (!nodeDir) {
  console.error('duckdb.mjs: IGEXPORT_NODE_DIR (the directory holding node_modules/@duckdb/node-api) is not set');
  process.exit(2);
}
// The script does not live next to node_modules, so resolve from there.
const require = createRequire(join(resolve(nodeDir), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const sql = Buffer.concat(chunks).toString('utf8');

try {
  const instance = await DuckDBInstance.create(process.argv[2] || ':memory:');
  const con = await instance.connect();
  const stmts = await con.extractStatements(sql);
  let rows = [];
  for (let i = 0; i < stmts.count; i++) {
    const prepared = await stmts.prepare(i);
    const reader = await prepared.runAndReadAll();
    if (i === stmts.count - 1) rows = reader.getRowObjectsJson();
  }
  process.stdout.write(JSON.stringify(rows));
  con.closeSync?.();
  instance.closeSync?.();
} catch (e) {
  console.error(e && e.message ? e.message : String(e));
  process.exit(1);
}

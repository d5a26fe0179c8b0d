// Prints the README's configuration table from the OPTIONS table in src/config.ts:
//   npx tsx scripts/config-table.ts
import { OPTIONS, flagName } from '../src/config.js';

console.log('| variable | flag | default | meaning |');
console.log('| --- | --- | --- | --- |');
for (const o of Object.values(OPTIONS)) {
  console.log(`| \`${o.env}\` | \`${flagName(o.env)}\` | ${o.fallback === undefined ? '(unset)' : `\`${o.fallback}\``} | ${o.description.replace(/\|/g, '\\|')} |`);
}

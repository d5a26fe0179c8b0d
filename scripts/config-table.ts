// Prints the README's configuration table, or .env.example, from the OPTIONS table in src/config.ts:
//   npx tsx scripts/config-table.ts          # markdown table
//   npx tsx scripts/config-table.ts --env    # .env.example
import { OPTIONS, flagName } from '../src/config.js';

if (process.argv.includes('--env')) {
  console.log('# Every Boutique setting, with its default. Export them, or: node --env-file=.env dist/cli.js serve. Flags (--port …) override.');
  for (const o of Object.values(OPTIONS)) {
    console.log(`\n# ${o.description}`);
    console.log(o.fallback === undefined ? `# ${o.env}=` : `${o.env}=${o.fallback}`);
  }
} else {
  console.log('| variable | flag | default | meaning |');
  console.log('| --- | --- | --- | --- |');
  for (const o of Object.values(OPTIONS)) {
    console.log(`| \`${o.env}\` | \`${flagName(o.env)}\` | ${o.fallback === undefined ? '(unset)' : `\`${o.fallback}\``} | ${o.description.replace(/\|/g, '\\|')} |`);
  }
}

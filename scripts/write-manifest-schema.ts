/** Regenerates packages/core/schema/cairn.schema.json from the zod schema (npm run schema). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestJsonSchema } from '../packages/core/src/index.js';

const schema = { title: 'Cairn bundle manifest (cairn.json)', ...manifestJsonSchema() };
writeFileSync(join(import.meta.dirname, '../packages/core/schema/cairn.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);

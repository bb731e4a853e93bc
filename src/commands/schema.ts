import { H2kCommand } from '../cli/base-command.js';
import { SOURCE_SCHEMAS } from '../providers/registry.js';
import { configSchema } from '../schema/config-schema.js';

export default class Schema extends H2kCommand {
  static override summary = 'Print the JSON Schema of the configuration, for editor support.';
  static override description = `The schema describes every block and argument of *.h2k.hcl files in their evaluated
(JSON) form: types, allowed values, defaults and descriptions. It is the same schema validate uses.`;
  static override examples = [
    { description: 'Save the schema for your editor', command: '<%= config.bin %> schema > h2k.schema.json' },
  ];

  async run(): Promise<void> {
    await this.parse(Schema);
    this.out(JSON.stringify(configSchema(SOURCE_SCHEMAS), null, 2));
  }
}

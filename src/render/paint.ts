// Colour only for a TTY that has not asked for plain output (NO_COLOR, --no-color, CI logs).
import { Chalk } from 'chalk';

export type Paint = Pick<InstanceType<typeof Chalk>, 'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'cyan'>;

export function makePaint(enabled: boolean): Paint {
  return new Chalk({ level: enabled ? 1 : 0 });
}

export function colorWanted(stream: NodeJS.WriteStream, noColorFlag: boolean): boolean {
  return !noColorFlag && stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** The paint for one output stream, honouring --no-color. */
export function paintFor(stream: NodeJS.WriteStream): Paint {
  return makePaint(colorWanted(stream, process.argv.includes('--no-color')));
}

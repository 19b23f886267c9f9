import { CairnError, issue } from '@cairn/core';

/** A comparison operator of a positive-class condition. */
export type ConditionOperator = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** A parsed positive-class condition such as `num > 0`. */
export interface TargetCondition {
  readonly column: string | undefined;
  readonly operator: ConditionOperator;
  readonly value: string;
}

const EXPRESSION = /^\s*(?:"([^"]+)"|`([^`]+)`|([^\s=!<>]+))\s*(==|!=|>=|<=|=|>|<)\s*(.+?)\s*$/;
const BARE_OPERATOR = /^\s*(==|!=|>=|<=|=|>|<)\s*(.+?)\s*$/;

function unquote(value: string): string {
  const m = /^(['"])(.*)\1$/.exec(value);
  return m ? (m[2] as string) : value;
}

/** Parses `column op value`, `op value` or a bare value (meaning `== value`). */
export function parseCondition(text: string): TargetCondition {
  const bad = () =>
    new CairnError('invalid_argument', `positive: cannot read '${text}'; write e.g. 'num > 0', 'Outcome == 1' or 'class == ckd'`, {
      issues: [issue(['positive'], 'format', 'expected "<column> <operator> <value>" with ==, !=, >, >=, < or <=')],
    });
  if (typeof text !== 'string' || text.trim() === '') throw bad();
  const full = EXPRESSION.exec(text);
  if (full) {
    const op = full[4] === '=' ? '==' : (full[4] as ConditionOperator);
    return { column: full[1] ?? full[2] ?? full[3], operator: op, value: unquote(full[5] as string) };
  }
  const bare = BARE_OPERATOR.exec(text);
  if (bare)
    return { column: undefined, operator: bare[1] === '=' ? '==' : (bare[1] as ConditionOperator), value: unquote(bare[2] as string) };
  if (/[=<>!]/.test(text)) throw bad();
  return { column: undefined, operator: '==', value: unquote(text.trim()) };
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Builds the test a target cell must pass to be positive. */
export function compileCondition(condition: TargetCondition): (cell: string) => boolean {
  const { operator, value } = condition;
  const numeric = NUMBER_RE.test(value);
  const target = Number(value);
  if (operator === '==' || operator === '!=') {
    const lower = value.toLowerCase();
    const equal = (cell: string) => (numeric && NUMBER_RE.test(cell) ? Number(cell) === target : cell.toLowerCase() === lower);
    return operator === '==' ? equal : (cell) => !equal(cell);
  }
  if (!numeric) {
    throw new CairnError('invalid_argument', `positive: '${operator}' needs a number, got '${value}'`, {
      issues: [issue(['positive'], 'type', `the value compared with ${operator} must be a number`)],
    });
  }
  return (cell) => {
    if (!NUMBER_RE.test(cell)) return false;
    const x = Number(cell);
    switch (operator) {
      case '>':
        return x > target;
      case '>=':
        return x >= target;
      case '<':
        return x < target;
      default:
        return x <= target;
    }
  };
}

/** Writes a condition back as text. */
export function formatCondition(column: string, condition: TargetCondition): string {
  return `${column} ${condition.operator} ${condition.value}`;
}

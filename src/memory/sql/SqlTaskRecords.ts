import { quotedForms } from '../../text/quotedData.js';
import type { Memory } from '../Memory.js';
import type { AnsweredTask, Task, TaskAnswer, TaskQuery, TaskRecords } from '../TaskRecords.js';
import type { QuotingRecords } from './QuotingRecords.js';
import { sqlBoolean, type SqlBoolean, type SqlConnection, type SqlExecutor, type SqlInteger } from './SqlConnection.js';

interface TaskRow {
  id: string;
  robot_id: string;
  stamp_ns: SqlInteger;
  text: string;
  task_group: string;
  kind: Task['kind'];
}

interface AnsweredTaskRow extends TaskRow {
  /** The answer's task id; null when no answer was recorded (and the answer columns are null too). */
  answered: string | null;
  answer_text: string;
  abstained: SqlBoolean;
  confidence: number;
  evidence: string;
  answered_by: string;
}

const TASK_COLUMNS = 't.id, t.robot_id, t.stamp_ns, t.text, t.task_group, t.kind';

/** The task log and its answers, in SQL both dialects share (tables `tasks` and `answers`). */
export class SqlTaskRecords implements TaskRecords, QuotingRecords {
  readonly #sql: SqlConnection;

  constructor(sql: SqlConnection) {
    this.#sql = sql;
  }

  /**
   * Removes the answers that cite a forgotten memory as evidence or quote its text. The question stays in the task
   * log: it is what the person asked, not what the robot remembered, and task focus follows it; the report then
   * shows it unanswered.
   */
  async removeQuoting(tx: SqlExecutor, forgotten: readonly Memory[]): Promise<number> {
    const ids = new Set(forgotten.map((m) => m.id));
    const forms = forgotten.flatMap((m) => quotedForms(m.text));
    const answers = await tx.all<{ task_id: string; text: string; evidence: string }>('SELECT task_id, text, evidence FROM answers');
    const quoting = answers
      .filter((a) => (JSON.parse(a.evidence) as string[]).some((id) => ids.has(id)) || forms.some((form) => a.text.includes(form)))
      .map((a) => a.task_id);
    if (quoting.length === 0) return 0;
    return tx.run(`DELETE FROM answers WHERE ${this.#sql.dialect.inList('task_id', 'ids', 'text')}`, {
      ids: this.#sql.dialect.list(quoting),
    });
  }

  async logTask(task: Task): Promise<void> {
    await this.#sql.run(
      `INSERT INTO tasks (id, robot_id, stamp_ns, text, task_group, kind) VALUES (@id, @robotId, @stamp, @text, @group, @kind)
       ON CONFLICT (id) DO NOTHING`,
      { id: task.id, robotId: task.robotId, stamp: task.stamp, text: task.text, group: task.group, kind: task.kind },
    );
  }

  async recentTasks(robotId: string, limit: number, group?: string): Promise<Task[]> {
    const rows = await this.#sql.all<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.robot_id = @robotId${group === undefined ? '' : ' AND t.task_group = @group'}
       ORDER BY t.stamp_ns DESC LIMIT @limit`,
      { robotId, group, limit },
    );
    return rows.map(taskFromRow);
  }

  async recordAnswer(taskId: string, answer: TaskAnswer): Promise<void> {
    const changed = await this.#sql.run(
      `INSERT INTO answers (task_id, text, abstained, confidence, evidence, answered_by)
       SELECT @taskId, @text, @abstained, @confidence, @evidence, @answeredBy WHERE EXISTS (SELECT 1 FROM tasks WHERE id = @taskId)
       ON CONFLICT (task_id) DO UPDATE SET text = excluded.text, abstained = excluded.abstained, confidence = excluded.confidence,
         evidence = excluded.evidence, answered_by = excluded.answered_by`,
      {
        taskId,
        text: answer.text,
        // 1 and 0: SQLite binds no booleans, and PostgreSQL reads '1' and '0' as a BOOLEAN.
        abstained: answer.abstained ? 1 : 0,
        confidence: answer.confidence,
        evidence: JSON.stringify(answer.evidence),
        answeredBy: answer.answeredBy,
      },
    );
    if (changed === 0) throw new Error(`${this.#sql.owner}#recordAnswer: no task ${JSON.stringify(taskId)} was logged`);
  }

  async answeredTasks(query: TaskQuery = {}): Promise<AnsweredTask[]> {
    const where = [
      query.robotId === undefined ? null : 't.robot_id = @robotId',
      query.since === undefined ? null : 't.stamp_ns >= @since',
      query.until === undefined ? null : 't.stamp_ns < @until',
    ].filter((clause) => clause !== null);
    const rows = await this.#sql.all<AnsweredTaskRow>(
      `SELECT ${TASK_COLUMNS}, a.task_id AS answered, a.text AS answer_text, a.abstained, a.confidence, a.evidence, a.answered_by
       FROM tasks t LEFT JOIN answers a ON a.task_id = t.id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.stamp_ns, t.id`,
      { robotId: query.robotId, since: query.since, until: query.until },
    );
    return rows.map((r) => ({
      ...taskFromRow(r),
      answer:
        r.answered === null
          ? null
          : {
              text: r.answer_text,
              abstained: sqlBoolean(r.abstained),
              confidence: Number(r.confidence),
              evidence: JSON.parse(r.evidence) as string[],
              answeredBy: r.answered_by,
            },
    }));
  }
}

function taskFromRow(row: TaskRow): Task {
  return { id: row.id, robotId: row.robot_id, stamp: BigInt(row.stamp_ns), text: row.text, group: row.task_group, kind: row.kind };
}

/** What a question's robot filter may say besides a robot id: every robot of the fleet. */
export const ANY_ROBOT = ['*', 'any'] as const;

/**
 * The robot whose memories answer a question, as the `Ask` goal's `robot` and `taskmem ask --robot` name it: empty
 * (or absent) for this robot (`robot_id`), `*` or `any` for every robot sharing the store (undefined: no filter),
 * else that robot's id.
 */
export function robotFilter(requested: string | undefined, thisRobot: string): string | undefined {
  if (requested === undefined || requested === '') return thisRobot;
  return (ANY_ROBOT as readonly string[]).includes(requested) ? undefined : requested;
}

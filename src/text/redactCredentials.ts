/**
 * Query parameters whose values are secrets in the URLs taskmem is given (a PostgreSQL URL may carry
 * `?password=`, a proxied endpoint `?api_key=` or `?token=`).
 */
const SECRET_PARAM = /^(password|passwd|pass|pwd|secret|token|access_token|api_key|apikey|key)$/i;

/**
 * `text` with the credentials of every URL in it replaced by `***`: the password of `scheme://user:password@host`
 * (the user name is kept, it says which account) and the values of secret-looking query parameters. Everything
 * that prints or stores an endpoint or store URL (logs, errors, failure records, start-up lines) passes it
 * through here, so a password given in `memorizer.url` or `store.url` never reaches a log.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi, (_, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(/([?&])([^=&\s#]+)=([^&\s#]*)/g, (match, separator: string, name: string) =>
      SECRET_PARAM.test(name) ? `${separator}${name}=***` : match,
    );
}

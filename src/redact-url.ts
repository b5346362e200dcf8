// Passwords inside URLs (redis://user:password@host, postgres://…) masked, for messages that
// quote a variable's value: start-up errors reach stderr and the logs that collect it.

/**
 * Every `scheme://user:password@` in `text`, with the password replaced by `***`: up to the last
 * @ before a comma or a space, so that an unencoded @ in a password is masked too (more rather than less).
 */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/@:,]*):[^\s,]*@/gi, '$1:***@');
}

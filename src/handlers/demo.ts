// The built-in handlers (WXGATE_HANDLERS unset): an echo for text and a welcome for new
// followers, enough to see the whole path work from a phone. Replace it with your own module.
import { defineHandlers, reply } from './define-handlers.js';

export default defineHandlers((bot) => {
  bot.on('text', (msg, ctx) => {
    ctx.log.info({ chars: msg.Content.length }, 'echoing');
    return `你说：${msg.Content}`;
  });
  bot.on('event.subscribe', () => reply.text('欢迎关注！发一句话试试，我会原样回给你。'));
});

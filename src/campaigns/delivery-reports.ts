// WeChat's TEMPLATESENDJOBFINISH push (sent after each template message, through the ordinary
// receive path) carries the send's msgid and a Status. The worker hands each one to the record
// writer, which matches it to its send by (appid, msgid), and then runs the account's own
// handlers for the event as for any other: the account may still route it.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
import type { Logger } from '../logger.js';
import type { WeChatMessage } from '../wechat/messages.js';
import type { Router } from '../worker/router.js';
import type { RecordWriter } from './record-writer.js';
import { reportStatus } from './send-status.js';

export function isTemplateReport(m: WeChatMessage): boolean {
  return m.MsgType === 'event' && m.Event === 'TEMPLATESENDJOBFINISH' && typeof m.MsgID === 'string' && /^\d+$/.test(m.MsgID);
}

export function createReportRecorder({ writer, logger }: { writer: Pick<RecordWriter, 'report'>; logger: Logger }) {
  const log = logger.child({ layer: 'send' });
  return async function recordReport(appid: string, m: WeChatMessage): Promise<void> {
    const wechatStatus = typeof m.Status === 'string' ? m.Status : '';
    const status = reportStatus(wechatStatus);
    const msgid = m.MsgID as string;
    await writer.report({ appid, msgid, openid: m.FromUserName, wechatStatus, status, reportedAt: Number(m.CreateTime) * 1000 || Date.now() });
    log.info({ appid, openid: m.FromUserName, msgid, stamp: Number(m.CreateTime), outcome: status, wechatStatus }, 'template delivery report recorded');
  };
}

/** The account's router, with delivery reports recorded before its own handler (if any) runs. */
export function withTemplateReports(router: Router, record: (appid: string, m: WeChatMessage) => Promise<void>): Router {
  return {
    route(appid, message) {
      const own = router.route(appid, message);
      if (!isTemplateReport(message)) return own;
      return {
        name: own?.name ?? 'template-report',
        async run(m, ctx) {
          await record(appid, m);
          return own?.run(m, ctx);
        },
      };
    },
  };
}

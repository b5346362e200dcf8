// WeChat's interface alert (接口报警) for a staged incident, written from what the simulator saw:
// the first failed delivery of the alert's kind gives 时间 and 错误样例, the failures in the
// 5 minutes from it give 次数. Written in the forms engineers paste: WeChat's own (Simplified
// labels), Traditional labels and text, an all-Chinese date, and everything on one line with two
// spaces between date and time. Real samples name events as WeChat's alert group shows them
// ([Msg=Subscribe][Event=Subscribe], [Event=Click Menu Url]).
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Warning_Message_Troubleshooting_Guide.html
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryOutcome } from '../../src/dev/simulator/deliver.js';
import type { MessageResult } from '../../src/dev/simulator/types.js';

type Kind = 'request_timeout' | 'response_failure';

export interface AlertSpec {
  file: string;
  kind: Kind;
  /** The account the alert names. */
  account: { appid: string };
  /** Take the first failure of this outcome (default: the alert's kind) — an alert pasted under another kind. */
  from?: Kind;
  form?: 'standard' | 'traditional' | 'chinese-date' | 'one-line';
  /** Take the failures of this account's pushes (default: the alert's account), rewriting the sample's URL. */
  source?: { appid: string };
  /** Move the alert's time (an alert for a window the logs do not cover). */
  shiftMs?: number;
}

const CONTENT: Record<Kind, { simplified: string; traditional: string }> = {
  request_timeout: { simplified: '微信服务器向公众号推送消息或事件后，开发者5秒内没有返回', traditional: '微信服務器向公眾號推送消息或事件後，開發者5秒內沒有返回' },
  response_failure: { simplified: '微信服务器向公众号推送消息或事件后，得到的回应不合法', traditional: '微信服務器向公眾號推送消息或事件後，得到的回應不合法' },
};

const EVENT_NAMES: Record<string, string> = { subscribe: '[Msg=Subscribe][Event=Subscribe]', unsubscribe: '[Event=UnSubscribe]', view: '[Event=Click Menu Url]', click: '[Event=Click Menu]' };

function beijing(ms: number): { date: string; clock: string } {
  const iso = new Date(ms + 8 * 3600_000).toISOString();
  return { date: iso.slice(0, 10), clock: iso.slice(11, 19) };
}

function sampleOf(r: MessageResult, d: MessageResult['deliveries'][number]): string {
  const type = EVENT_NAMES[r.kind] ?? `[Msg=${r.kind.charAt(0).toUpperCase()}${r.kind.slice(1)}]`;
  const base = r.sample.replace(/\[(Msg|Event)=[^\]]*\]$/, '').replace('[3rdUrl=', '[OuterIP=][3rdUrl=');
  const answer = d.answer !== undefined ? `[response_length=${d.answerLength ?? d.answer.length}][response_content=${d.answer.replace(/\r?\n/g, ' ')}]` : '';
  return `${base}${type}${answer}`;
}

function render(spec: AlertSpec, time: number, count: number, sample: string): string {
  const { date, clock } = beijing(time);
  const form = spec.form ?? 'standard';
  const traditional = form === 'traditional';
  const [y, m, d] = date.split('-').map(Number);
  const when = form === 'chinese-date' ? `${y}年${m}月${d}日 ${clock}` : form === 'one-line' ? `${date}  ${clock}` : `${date} ${clock}`;
  const fields = [
    `Appid: ${spec.account.appid}`,
    `${traditional ? '暱稱' : '昵称'}: 网关测试号`,
    `${traditional ? '時間' : '时间'}: ${when}`,
    `${traditional ? '內容' : '内容'}: ${CONTENT[spec.kind][traditional ? 'traditional' : 'simplified']}`,
    `${traditional ? '次數' : '次数'}: 5分钟 ${count}次`,
    `${traditional ? '錯誤樣例' : '错误样例'}: ${sample}`,
    `报警排查指引，请见: https://mmbizurl.cn/s/MpkaZb8yg`,
  ];
  return `${fields.join(form === 'one-line' ? ' ' : '\n')}\n`;
}

/** Writes each alert; returns what each was made from, for facts.json. */
export function writeAlerts(dir: string, results: MessageResult[], specs: AlertSpec[]): Record<string, unknown>[] {
  return specs.map((spec) => {
    const outcome: DeliveryOutcome = spec.from ?? spec.kind;
    // Multi-account pushes name their account in the URL; a single-account run's pushes are all its one account's.
    const source = spec.source ?? spec.account;
    const own = results.filter((r) => r.sample.includes(`/wechat/${source.appid}]`));
    const failed = (own.length > 0 ? own : results)
      .flatMap((r) => r.deliveries.filter((d) => d.outcome === outcome).map((d) => ({ r, d })))
      .sort((a, b) => a.d.at - b.d.at);
    const first = failed[0];
    if (!first) throw new Error(`${spec.file}: the simulator saw no ${outcome}`);
    const inSpan = failed.filter(({ d }) => d.at - first.d.at < 5 * 60_000).length;
    const time = first.d.at + (spec.shiftMs ?? 0);
    const sample = sampleOf(first.r, first.d).replace(`/wechat/${source.appid}]`, `/wechat/${spec.account.appid}]`);
    writeFileSync(join(dir, spec.file), render(spec, time, inSpan, sample));
    return { file: spec.file, kind: spec.kind, appid: spec.account.appid, from: outcome, firstFailure: first.d.at, time, count: inSpan, openid: first.r.openid, form: spec.form ?? 'standard' };
  });
}

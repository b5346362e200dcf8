// Which pushes an alert is about, by the type its sample names. Alerts write types as WeChat's
// alert group shows them — [Msg=Text], [Event=UnSubscribe], [Msg=Subscribe][Event=Subscribe],
// [Event=Click Menu Url], [Event=Template Send Job Finish] — so names are compared without case,
// spaces or underscores, through one table of the spelled-out names.
import type { AlertKind } from './alert-kinds.js';
import type { ParsedAlert } from './alert-parse.js';
import type { LogEvent } from './event.js';

export interface TypeFilter {
  label: string;
  msgType?: string;
  event?: string;
  infoType?: string;
}

const squash = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

/** Spelled-out names in alert samples, squashed, to the Event or MsgType wxgate logs. */
const SPELLED: Record<string, string> = {
  clickmenu: 'CLICK',
  clickmenuurl: 'VIEW',
  viewmenu: 'VIEW',
  scanqrcode: 'SCAN',
  templatesendjobfinish: 'TEMPLATESENDJOBFINISH',
  masssendjobfinish: 'MASSSENDJOBFINISH',
  componentticket: 'component_verify_ticket',
  reportlocation: 'LOCATION',
};

export const normalType = (name: string): string => squash(SPELLED[squash(name)] ?? name);

export function typeFilterOf(alert: ParsedAlert, kind: AlertKind): TypeFilter | undefined {
  const { event, msg, infoType } = alert.sample;
  const info = infoType ?? kind.infoType ?? (event && normalType(event) === 'componentverifyticket' ? 'component_verify_ticket' : undefined);
  if (info) return { label: `InfoType ${info}`, infoType: info };
  if (event) return { label: `event ${event}`, event };
  if (msg) return { label: msg.toLowerCase(), msgType: msg };
  return undefined;
}

const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && normalType(a) === normalType(b);

/** The receiver's line knows the type; nginx's does not. */
export const hasType = (r: LogEvent | undefined): boolean => r !== undefined && (r.msgType !== undefined || r.event !== undefined);

export function matchesType(r: LogEvent, f: TypeFilter): boolean {
  if (f.infoType) return same(r.msgType, f.infoType) || same(r.event, f.infoType);
  if (f.event) return same(r.event, f.event) || (r.msgType !== 'event' && same(r.msgType, f.event));
  // Newer alerts write [Msg=Subscribe] for an event: take it as either.
  return same(r.msgType, f.msgType) || same(r.event, f.msgType);
}

/** "event CLICK", "text": how a push's type reads in a report. */
export function typeLabel(r: LogEvent | undefined): string {
  if (!hasType(r)) return 'unknown type';
  return r!.msgType === 'event' && r!.event ? `event ${r!.event}` : r!.msgType ?? `event ${r!.event}`;
}

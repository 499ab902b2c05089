// record.js: records as a person reads them (docs/PROTOCOL.md section 6).
// Amounts are exact: integer minor units (BigInt) written as a decimal with
// the currency's ISO 4217 exponent, never through floating point.

import { hex } from './bytes.js';

// ISO 4217 minor-unit exponents other than 2, as client/amount.c's table
// (generated from iso-codes); codes without a minor unit ("N.A.": metals,
// XDR, XXX...) are whole units here.
const EXPONENTS = {
  BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3,
  JPY: 0, KMF: 0, KRW: 0, KWD: 3, LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3,
  UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  XAG: 0, XAU: 0, XBA: 0, XBB: 0, XBC: 0, XBD: 0, XDR: 0, XPD: 0, XPT: 0,
  XSU: 0, XTS: 0, XUA: 0, XXX: 0,
};

export function exponent(currency) {
  return Object.prototype.hasOwnProperty.call(EXPONENTS, currency) ? EXPONENTS[currency] : 2;
}

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// "1,250.00" from 125000n and "EUR"; plain (no grouping) when plain.
export function decimal(minor, currency, plain = false) {
  const v = typeof minor === 'bigint' ? minor : BigInt(minor);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString();
  const e = exponent(currency);
  let ip = s, fp = '';
  if (e > 0) {
    const p = s.padStart(e + 1, '0');
    ip = p.slice(0, p.length - e);
    fp = p.slice(p.length - e);
  }
  return (neg ? '-' : '') + (plain ? ip : group(ip)) + (e > 0 ? '.' + fp : '');
}

export function money(minor, currency) {
  return currency + ' ' + decimal(minor, currency);
}

// A party in words.  Natural persons are commitments: never a name.
export function party(p) {
  if (!p || typeof p !== 'object') return '(none)';
  if (p.kind === 'organization')
    return p.name + ' (' + p.scheme + ' ' + p.id + ')';
  if (p.kind === 'individual')
    return 'a private individual (name withheld; commitment ' +
      (p.commitment instanceof Uint8Array ? hex(p.commitment).slice(0, 16) + '…' : '?') + ')';
  return '(unknown kind of party)';
}

export function partyName(p) {
  if (p && p.kind === 'organization') return p.name;
  if (p && p.kind === 'individual') return 'private individuals';
  return '(none)';
}

export const DECISIONS = ['appeal_decided', 'cancelled', 'denied', 'expired',
  'finaled', 'issued', 'reinstated', 'revoked', 'suspended', 'withdrawn'];

export function decisionWord(d) {
  return String(d).replace(/_/g, ' ');
}

// The classification the explorer groups by (docs/WEB.md):
//   department  = budget.admin when present, else the payer's name;
//   budget line = budget.functional and budget.economic ("09.1 / 2110"),
//                 else "(unclassified)";
//   fiscal year = budget.fiscal_year when present, else the date's year;
//   month       = the payment date's YYYY-MM;
//   payee       = the payee organisation's name, or "private individuals".
export function classify(r) {
  const b = r.budget || {};
  const parts = [];
  if (b.functional !== undefined) parts.push(b.functional);
  if (b.economic !== undefined) parts.push(b.economic);
  return {
    department: b.admin !== undefined ? b.admin : partyName(r.payer),
    budgetLine: parts.length ? parts.join(' / ') : '(unclassified)',
    fiscalYear: b.fiscal_year !== undefined ? Number(b.fiscal_year) : Number(String(r.date).slice(0, 4)),
    month: String(r.date).slice(0, 7),
    payee: partyName(r.payee),
  };
}

// Rows of [label, value] for showing a record.
export function fields(r) {
  const rows = [];
  const add = (k, v) => {
    if (v !== undefined && v !== null && v !== '') rows.push([k, String(v)]);
  };
  const addr = (a) => a ? [a.line1, a.city, a.state, a.zip].filter((x) => x !== undefined).join(', ') : undefined;
  if (r.type === 'payment') {
    add('Amount', money(r.amount_minor, r.currency));
    add('Paid to', party(r.payee));
    add('Paid by', party(r.payer));
    add('What for', r.description);
    add('Payment date', r.date);
    if (r.budget) {
      add('Budget line', classify(r).budgetLine);
      add('Department code', r.budget.admin);
      add('Fiscal year', r.budget.fiscal_year);
    }
    add('Contract', r.contract_id);
    add('OCDS id', r.ocid);
    add('Source', r.source_uri);
    add('Payment reference', r.id);
  } else if (r.type === 'permit_decision') {
    add('Decision', decisionWord(r.decision));
    add('Decision date', r.decision_date);
    add('Permit number', r.permit_num);
    add('Permit type', r.permit_type);
    add('Address', addr(r.address));
    add('What', r.description);
    add('Decided by', party(r.jurisdiction));
    if (r.applicant) add('Applicant', party(r.applicant));
    add('Applied', r.applied_date);
    add('Issued', r.issued_date);
    add('Expires', r.expires_date);
    if (r.fee_minor !== undefined) add('Fee', money(r.fee_minor, r.currency));
    if (r.est_project_cost_minor !== undefined)
      add('Estimated project cost', money(r.est_project_cost_minor, r.currency));
    add('Link', r.link);
    add('Reference', r.id);
  } else if (r.type === 'correction') {
    add('Correction', r.action === 'void' ? 'voids' : 'amends');
    add('Of entry', '#' + r.target_index);
    add('Reason', r.reason);
    add('Reference', r.id);
  } else if (r.type === 'office_key') {
    add('Office key', r.action === 'grant' ? 'granted' : 'revoked');
    add('Office', r.name);
    add('Signs for', party(r.organization));
    add('Key', r.key);
    if (r.types) add('May append', r.types.join(', '));
    add('Valid from', r.valid_from);
    add('Reason', r.reason);
    add('Reference', r.id);
  } else {
    add('Type', r.type);
    add('Reference', r.id);
  }
  return rows;
}

export function title(r) {
  if (r.type === 'payment') return 'Payment ' + r.id + ': ' + money(r.amount_minor, r.currency) +
    ' to ' + partyName(r.payee);
  if (r.type === 'permit_decision') return 'Permit ' + r.permit_num + ': ' +
    decisionWord(r.decision) + ' on ' + r.decision_date;
  if (r.type === 'correction') return 'Correction ' + r.id + ' (' + r.action + ' #' + r.target_index + ')';
  if (r.type === 'office_key') return 'Office key ' + (r.action === 'grant' ? 'granted' : 'revoked') +
    ': ' + r.name;
  return 'Record ' + r.id;
}

// The few checks the page needs to show a record safely: its type, and the
// type of each field it reads.  (The log and auditors run the full schema,
// proto/record.c; the page shows a record that fails this as failed.)
export function checkRecord(r) {
  const str = (k) => { if (typeof r[k] !== 'string') throw new Error('record field ' + k + ' is not text'); };
  const int = (k) => {
    if (typeof r[k] !== 'number' && typeof r[k] !== 'bigint')
      throw new Error('record field ' + k + ' is not an integer');
  };
  str('type');
  str('id');
  if (r.type === 'payment') {
    int('amount_minor'); str('currency'); str('date'); str('description');
  } else if (r.type === 'permit_decision') {
    str('decision'); str('decision_date'); str('permit_num'); str('permit_type'); str('description');
    if (!DECISIONS.includes(r.decision)) throw new Error('unknown decision ' + r.decision);
  } else if (r.type === 'correction') {
    str('action'); int('target_index'); str('reason');
    if (!(r.target_leaf_hash instanceof Uint8Array) || r.target_leaf_hash.length !== 32)
      throw new Error('correction without a 32-byte target_leaf_hash');
    if (r.action !== 'void' && r.action !== 'amend') throw new Error('unknown correction action');
    if (r.action === 'amend') checkRecord(r.replacement || {});
  } else if (r.type === 'office_key') {
    str('action'); str('key'); str('name'); str('reason');
    if (r.action !== 'grant' && r.action !== 'revoke') throw new Error('unknown office_key action');
    if (r.types !== undefined && !Array.isArray(r.types)) throw new Error('office_key types is not a list');
  } else {
    throw new Error('unknown record type ' + r.type);
  }
}

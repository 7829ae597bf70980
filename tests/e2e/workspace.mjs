// End-to-end walk of the planners' workspace in Debian's headless Chromium: the whole delivery
// workflow of a planner (sign in, upload a file with an error, read the diagnostic, upload the
// fixed file, commit, see the new value on the public page after the recomputation), an
// axe-core scan (WCAG 2.1 A and AA) of every workspace page, and screenshots.
// Usage: node workspace.mjs BASE_URL OUT_DIR
// Environment: SM_LOGIN, SM_PASSWORD (an admin account), SM_FILE (the real file to deliver),
// SM_PUBLIC_PATH and SM_PUBLIC_TEXT (the public page and the text it shows once the file's
// values are published).
import { chromium, request } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';

const base = process.argv[2] ?? 'http://127.0.0.1:8099';
const out = process.argv[3] ?? '../../tests-output/screenshots';
mkdirSync(out, { recursive: true });
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const login = env('SM_LOGIN');
const password = env('SM_PASSWORD');
const file = env('SM_FILE');
const publicPath = env('SM_PUBLIC_PATH');
const publicText = env('SM_PUBLIC_TEXT');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failures = 0;
const check = async (name, fn) => {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${String(e.message ?? e).split('\n').slice(0, 8).join('\n     ')}`);
  }
};
const ctx = await browser.newContext({ acceptDownloads: true, bypassCSP: true, ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
const page = await ctx.newPage();

const axe = async (name) => {
  await page.screenshot({ path: `${out}/arbeitsbereich-${name}.png`, fullPage: true });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const v = result.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.length}× e.g. ${x.nodes[0]?.target}`);
  assert.deepEqual(v, [], v.join('\n'));
};

// The real file, and a copy with one value broken (a letter in a number) on its third line.
const good = readFileSync(file);
const lines = good.toString('utf8').split('\n');
const fields = lines[2].split(';');
fields[3] = fields[3] + 'x';
lines[2] = fields.join(';');
const badPath = join(tmpdir(), `fehlerhaft-${basename(file)}`);
writeFileSync(badPath, lines.join('\n'));

await check('the public pages do not lead into the workspace, and a workspace page asks to sign in', async () => {
  await page.goto(base + '/arbeitsbereich/konten');
  assert.match(page.url(), /\/arbeitsbereich\/anmelden\?weiter=/);
  await axe('anmelden');
});

await check('sign in', async () => {
  await page.getByLabel('Anmeldename').fill(login);
  await page.getByLabel('Passwort').fill(password);
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/konten$/), page.getByRole('button', { name: 'Anmelden' }).click()]);
  assert.equal(await page.locator('h1').innerText(), 'Konten');
  await axe('konten');
});

await check('upload a file with an error: the diagnostic names line and column beside the text', async () => {
  await page.goto(base + '/arbeitsbereich/lieferung');
  await axe('lieferung');
  await page.setInputFiles('#dateien', badPath);
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/lieferung\/[0-9a-f]{64}$/), page.getByRole('button', { name: 'Hochladen und prüfen' }).click()]);
  const main = await page.locator('main').innerText();
  assert.match(main, /Fehlerhafte Zeilen\s*1/);
  const row = page.locator('tbody tr').filter({ has: page.locator('mark.bad') });
  assert.equal(await row.locator('td').nth(1).innerText(), '3');
  assert.equal(await row.locator('td').nth(2).innerText(), '4');
  assert.match(await row.locator('mark.bad').innerText(), /x$/);
  assert.match(await row.locator('td').nth(3).innerText(), /ist weder eine Zahl noch ein statistisches Zeichen/);
  await axe('vorschau-fehler');
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/lieferung$/), page.getByRole('button', { name: 'Verwerfen' }).click()]);
});

await check('upload the fixed file and commit it', async () => {
  await page.setInputFiles('#dateien', file);
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/lieferung\/[0-9a-f]{64}$/), page.getByRole('button', { name: 'Hochladen und prüfen' }).click()]);
  const main = await page.locator('main').innerText();
  assert.match(main, /Fehlerhafte Zeilen\s*0/);
  assert.doesNotMatch(main, /Neue Werte\s*0\b/);
  await axe('vorschau');
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/importe\?uebernommen=\d+$/), page.getByRole('button', { name: 'Übernehmen' }).click()]);
  assert.match(await page.locator('main').innerText(), /Übernommen als Import Nr\. \d+/);
  assert.match(await page.locator('main').innerText(), new RegExp(basename(file).replace(/[.]/g, '\\.')));
  await axe('importe');
});

await check('the public page shows the delivered values once they are recomputed', async () => {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const res = await page.goto(base + publicPath);
    // The text may stand in a chart's description, which is in the page but not rendered.
    const text = await page.content();
    if (res.ok() && text.includes(publicText)) break;
    assert.ok(Date.now() < deadline, `${publicPath} does not show "${publicText}" after 4 minutes`);
    await page.waitForTimeout(5000);
  }
});

await check('write the summary commentary, then download the social report with it', async () => {
  await page.goto(base + '/arbeitsbereich/bericht');
  await axe('bericht');
  await page.getByRole('link', { name: 'Zusammenfassung', exact: true }).click();
  const words = 'Kommentar aus dem Browsertest mit der Prüfzahl 4711.';
  await page.getByLabel(/^Kommentar/).fill(words);
  await page.getByRole('button', { name: 'Vorschau' }).click();
  assert.match(await page.locator('section .card').innerText(), /Prüfzahl 4711/);
  await axe('kommentar');
  await Promise.all([page.waitForURL(/kapitel\/zusammenfassung$/), page.getByRole('button', { name: 'Speichern' }).click()]);
  assert.match(await page.locator('textarea').inputValue(), /Prüfzahl 4711/);
  await page.goto(base + '/arbeitsbereich/bericht');
  await page.getByRole('button', { name: 'Sozialbericht jetzt erstellen' }).click();
  const deadline = Date.now() + 120_000;
  const link = page.getByRole('link', { name: /Sozialbericht Nr\. \d+/ }).first();
  while (!(await link.count())) {
    assert.ok(Date.now() < deadline, 'no report after 2 minutes');
    await page.waitForTimeout(2000);
    await page.goto(base + '/arbeitsbereich/bericht');
  }
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const pdf = await download.path();
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  assert.match(text, /Prüfzahl 4711/);
  assert.match(text, /Sozialbericht/);
});

await check('make the profile of one municipality in the background, kept with its data version', async () => {
  await page.goto(base + '/arbeitsbereich/bericht');
  await page.getByLabel('Gemeinde', { exact: true }).selectOption({ label: 'Altmittweida' });
  await page.getByRole('button', { name: 'Gemeindeprofile erstellen' }).click();
  const deadline = Date.now() + 120_000;
  const link = page.getByRole('row', { name: /Altmittweida/ }).getByRole('link', { name: /Gemeindeprofil Nr\. \d+/ });
  while (!(await link.count())) {
    assert.ok(Date.now() < deadline, 'no profile after 2 minutes');
    await page.waitForTimeout(2000);
    await page.goto(base + '/arbeitsbereich/bericht');
  }
  await axe('bericht-profile');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /^gemeindeprofil-14522010-\d+\.pdf$/);
  const text = execFileSync('pdftotext', ['-layout', await download.path(), '-']).toString();
  assert.match(text, /Altmittweida/);
  assert.match(text, /Gemeindeprofil/);
});

await check('planning: decide a recommendation, add a measure with an aim, see its progress chart', async () => {
  await page.goto(base + '/arbeitsbereich/planung');
  // The demo's cycle from the seed documents.
  assert.match(await page.locator('main').innerText(), /DIALOG Mittelsachsen Sozial/);
  await axe('planung');
  await page.getByText('Empfehlung hinzufügen').click();
  await page.locator('#e-titel').fill('Anteil Älterer beobachten (Browsertest)');
  await page.locator('#e-feld').fill('Senior:innen');
  await page.locator('#e-ind').selectOption('anteil_65_plus');
  await Promise.all([page.waitForURL(/gespeichert=1/), page.getByRole('button', { name: 'Empfehlung speichern' }).click()]);
  const rec = page.locator('li[id^="empfehlung-"]', { hasText: 'Browsertest' });
  await rec.getByText('Beschluss eintragen').click();
  await rec.getByLabel('Datum').fill('2026-09-24');
  await rec.getByLabel('Beschlussnummer').fill('BV 99/2026');
  await rec.getByLabel('Ergebnis').fill('angenommen');
  await rec.getByLabel('Stand').selectOption('laufend');
  await Promise.all([page.waitForURL(/gespeichert=1/), rec.getByRole('button', { name: 'Beschluss speichern' }).click()]);
  assert.match(await page.locator('li[id^="empfehlung-"]', { hasText: 'Browsertest' }).innerText(), /24\.09\.2026 \(BV 99\/2026\): angenommen/);
  await page.getByText('Maßnahme mit Ziel hinzufügen').click();
  await page.locator('#m-titel').fill('Maßnahme aus dem Browsertest');
  await page.locator('#m-emp').selectOption({ label: 'Anteil Älterer beobachten (Browsertest)' });
  await page.locator('#m-ind').selectOption('anteil_65_plus');
  await page.locator('#m-ziel').fill('99,0');
  await page.locator('#m-zieljahr').fill('2035');
  await page.locator('#m-richtung').selectOption('steigen');
  await page.locator('form[action="/arbeitsbereich/planung/massnahme"]').getByLabel('im öffentlichen Sozialmonitor zeigen').check();
  await Promise.all([page.waitForURL(/gespeichert=1/), page.getByRole('button', { name: 'Maßnahme speichern' }).click()]);
  const measure = page.locator('ul.measures > li', { hasText: 'Maßnahme aus dem Browsertest' });
  assert.equal(await measure.locator('svg').count(), 1);
  assert.match(await measure.innerText(), /Ausgangswert [\d,.]+ \(\d{4}\), Ziel 99,0 bis 2035/);
  await axe('planung-massnahme');
  // The measure's own page: where it acts, its budget, its status.
  await Promise.all([page.waitForURL(/\/arbeitsbereich\/planung\/massnahme\/\d+$/), measure.getByRole('link', { name: 'Maßnahme aus dem Browsertest' }).click()]);
  await page.getByLabel('Altmittweida').check();
  await page.locator('#m-budget').fill('12.500');
  await page.locator('#m-stand').selectOption('laufend');
  await page.locator('#m-notizen').fill('Nur intern zu lesen (Browsertest)');
  await Promise.all([page.waitForURL(/gespeichert=1/), page.getByRole('button', { name: 'Maßnahme speichern' }).click()]);
  const edited = await page.locator('main').innerText();
  assert.match(edited, /Gespeichert/);
  assert.match(edited, /Gemeinden\s*Altmittweida/);
  assert.equal(await page.locator('#m-budget').inputValue(), '12.500,00');
  await axe('planung-massnahme-bearbeiten');
  // A step on the cycle's timeline.
  await page.goto(base + '/arbeitsbereich/planung');
  await page.getByText('Zeitplan: Schritt, Meilenstein oder Termin hinzufügen').click();
  await page.locator('#z-art').selectOption('veranstaltung');
  await page.locator('#z-titel').fill('Fachtag aus dem Browsertest');
  await page.locator('#z-von').fill('2026-11');
  await Promise.all([page.waitForURL(/gespeichert=1/), page.getByRole('button', { name: 'Eintrag speichern' }).click()]);
  assert.match(await page.locator('#zeitplan + div').innerText(), /November 2026\s+Veranstaltung\s+Fachtag aus dem Browsertest/);
  await page.getByRole('button', { name: 'Planungsdokument jetzt erstellen' }).click();
  const deadline = Date.now() + 120_000;
  const link = page.getByRole('link', { name: /Planungsdokument Nr\. \d+/ }).first();
  while (!(await link.count())) {
    assert.ok(Date.now() < deadline, 'no planning document after 2 minutes');
    await page.waitForTimeout(2000);
    await page.goto(base + '/arbeitsbereich/planung');
  }
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const text = execFileSync('pdftotext', ['-layout', await download.path(), '-']).toString();
  assert.match(text, /Planungsdokument/);
  assert.match(text, /Maßnahme aus dem Browsertest/);
  assert.match(text, /BV 99\/2026/);
});

await check('the published measure appears on the public planning page, the internal recommendation does not', async () => {
  // The servers reload when the planning records change; nginx keeps a public page a minute.
  const deadline = Date.now() + 150_000;
  let main = '';
  for (;;) {
    await page.goto(base + '/planung');
    main = await page.locator('main').innerText();
    if (main.includes('Maßnahme aus dem Browsertest')) break;
    assert.ok(Date.now() < deadline, `the measure is not on /planung after 150 s:\n${main}`);
    await page.waitForTimeout(5000);
  }
  assert.match(main, /Seniorenpolitische Strategie beschließen/);
  assert.doesNotMatch(main, /Anteil Älterer beobachten \(Browsertest\)/);
  assert.equal(await page.locator('ul.measures svg').count() >= 1, true);
  await axe('oeffentlich-planung');
  // Its own public page: where it acts and its budget, never the planners' notes.
  const href = await page.locator('table a', { hasText: 'Maßnahme aus dem Browsertest' }).getAttribute('href');
  for (;;) {
    await page.goto(base + href);
    main = await page.locator('main').innerText();
    if (main.includes('Altmittweida')) break;
    assert.ok(Date.now() < deadline, `the edited measure is not public after 150 s:\n${main}`);
    await page.waitForTimeout(5000);
  }
  assert.match(main, /Budget\s*12\.500\s€/);
  assert.doesNotMatch(main, /Nur intern zu lesen/);
  await axe('oeffentlich-massnahme');
  await page.goto(base + '/planung/handlungsfeld/senior-innen');
  assert.match(await page.locator('main').innerText(), /Seniorenwegweiser/);
  await axe('oeffentlich-handlungsfeld');
});

await check('the audit log lists the sign-in and the import; the other workspace pages pass axe', async () => {
  await page.goto(base + '/arbeitsbereich/protokoll');
  const main = await page.locator('main').innerText();
  assert.match(main, /import\.commit/);
  assert.match(main, /commentary\.save/);
  assert.match(main, /report\.create/);
  assert.match(main, /gemeindeprofil n=1/);
  assert.match(main, /plan\.measure\.create/);
  assert.match(main, /login/);
  await axe('protokoll');
  for (const [name, path] of [['uebersicht', '/arbeitsbereich'], ['datenluecken', '/arbeitsbereich/datenluecken'], ['aktualitaet', '/arbeitsbereich/aktualitaet?gebiet=14522'], ['werte', '/arbeitsbereich/werte?indikator=anteil_65_plus'], ['revisionen', '/arbeitsbereich/revisionen?merkmal=GV100_BEV&gebiet=14522'], ['katalog', '/arbeitsbereich/katalog'], ['lieferungen', '/arbeitsbereich/lieferungen'], ['katalogeintrag', '/arbeitsbereich/katalog/anteil_65_plus'], ['katalog-neu', '/arbeitsbereich/katalog-neu'], ['passwort', '/arbeitsbereich/passwort'], ['wegweiser', '/arbeitsbereich/wegweiser'], ['wegweiser-eintrag', '/arbeitsbereich/wegweiser/1'], ['api-schluessel-liste', '/arbeitsbereich/api-schluessel'], ['unbekannt', '/arbeitsbereich/gibt-es-nicht']]) {
    await page.goto(base + path);
    await axe(name);
  }
});

await check('the network: a contact person entered with consent, exported and erased; an event leads to the planning', async () => {
  await page.goto(base + '/arbeitsbereich/netzwerk');
  assert.match(await page.locator('main').innerText(), /Wer woran arbeitet/);
  await axe('netzwerk');
  await page.getByRole('link', { name: 'Hochschule Mittweida', exact: true }).click();
  await page.locator('#p-name').fill('Erika Beispielfrau');
  await page.getByLabel(/Einwilligung erteilt am/).fill('2026-11-02');
  await page.getByLabel(/Wofür eingewilligt/).fill('Einladungen zu Seniorenforen');
  await page.getByRole('button', { name: 'Kontaktperson speichern' }).click();
  assert.match(await page.locator('main').innerText(), /Erika Beispielfrau/);
  await axe('netzwerk-akteur');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Auskunft über Erika Beispielfrau/ }).click(),
  ]);
  const doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(doc.person.name, 'Erika Beispielfrau');
  assert.equal(doc.akteur.name, 'Hochschule Mittweida');
  await page.getByRole('checkbox', { name: 'bestätigen' }).first().check();
  await page.getByRole('button', { name: 'Erika Beispielfrau löschen' }).click();
  assert.doesNotMatch(await page.locator('main').innerText(), /Beispielfrau/);
  await page.goto(base + '/arbeitsbereich/beteiligung');
  await axe('beteiligung');
  await page.getByRole('link', { name: 'Präsentation der studentischen Forschungsprojekte' }).click();
  const main = await page.locator('main').innerText();
  assert.match(main, /Empfehlung: Seniorenpolitische Strategie beschließen/);
  assert.match(main, /Maßnahme: Seniorenwegweiser/);
  await axe('beteiligung-veranstaltung');
});

await check('an API key made in the browser reads the planning records; a table of measures is read into the cycle', async () => {
  await page.goto(base + '/arbeitsbereich/api-schluessel');
  await page.getByLabel(/Bezeichnung/).fill('Browsertest');
  await page.getByRole('button', { name: 'Schlüssel erstellen' }).click();
  const key = (await page.locator('code.key').innerText()).trim();
  assert.match(key, /^smk_[0-9a-f]{64}$/);
  await axe('api-schluessel');
  // A client of its own: no cookie of the browser goes with it.
  const api = await request.newContext({ ignoreHTTPSErrors: true });
  const anon = await api.get(base + '/arbeitsbereich/api/v1/planung');
  assert.equal(anon.status(), 401);
  const res = await api.get(base + '/arbeitsbereich/api/v1/planung', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(res.status(), 200);
  const all = await res.json();
  const measures = all.zyklus.flatMap((c) => c.massnahme.map((m) => m.titel));
  assert.ok(measures.includes('Maßnahme aus dem Browsertest'), measures.join(', '));
  // A table in the export's columns, one measure with one aim, into the cycle shown.
  await page.goto(base + '/arbeitsbereich/planung');
  await page.getByText('Maßnahmen aus einer Tabelle einlesen').click();
  const csv = 'massnahme;stand;gemeinden;indikator;gebiet;ausgangswert;ausgangsjahr;zielwert;zieljahr;richtung\n'
    + 'Maßnahme aus der Tabelle;geplant;14522010;anteil_65_plus;14522;30,1;2021;29,5;2030;sinken\n';
  await page.setInputFiles('#mi-datei', { name: 'massnahmen.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await Promise.all([page.waitForURL(/eingelesen=1/), page.getByRole('button', { name: 'Maßnahmen einlesen' }).click()]);
  const main = await page.locator('main').innerText();
  assert.match(main, /1 Maßnahme aus der Tabelle eingelesen/);
  assert.match(main, /Maßnahme aus der Tabelle/);
  // Revoked: the key opens nothing any more.
  await page.goto(base + '/arbeitsbereich/api-schluessel');
  await page.getByRole('button', { name: /Widerrufen/ }).first().click();
  const after = await api.get(base + '/arbeitsbereich/api/v1/planung', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(after.status(), 401);
  await api.dispose();
});

await check('catalogue: a formula is checked while it is typed, with a preview of its values', async () => {
  await page.goto(base + '/arbeitsbereich/katalog-neu');
  const result = page.locator('#formel-pruefung');
  await page.locator('#f-formula').fill('100 * ');
  await result.getByText('die Formel endet zu früh').waitFor({ timeout: 10000 });
  await page.locator('#f-formula').fill('`GV100_BEV` / 1000');
  await result.getByText('Die Formel ist in Ordnung').waitFor({ timeout: 10000 });
  assert.match(await result.locator('table').innerText(), /Mittelsachsen/);
  // The first sentence is what a screen reader hears.
  assert.match(await page.locator('#formel-status').textContent(), /Die Formel ist in Ordnung/);
  await axe('katalog-neu-vorschau');
});

await check('sign out: the workspace asks to sign in again', async () => {
  await page.goto(base + '/arbeitsbereich');
  await Promise.all([page.waitForURL(/abgemeldet=1$/), page.getByRole('button', { name: 'Abmelden' }).click()]);
  await page.goto(base + '/arbeitsbereich/importe');
  assert.match(page.url(), /\/arbeitsbereich\/anmelden\?weiter=/);
});

await browser.close();
if (failures > 0) {
  console.log(`${failures} workspace check(s) failed`);
  process.exit(1);
}
console.log('all workspace checks passed');

package reporttest

// FixtureYAML is a small survey shaped like version 2 of the default
// survey, for tests of maps and gaps: profile questions to filter by
// (kind of group, size, an optional region and role), three activities,
// four tools, the activity named hardest (with "none"), why, a tool worth
// recommending (with "not_really") and permission to quote. Its hardest
// and recommend questions offer every activity and tool from catalogues;
// the built-in survey offers only those the respondent picked
// (options_from), and stores the answers alike. Parse it with
// surveyfile.Parse.
const FixtureYAML = `survey: map-fixture
version: 2
languages: [en, es]
title: {en: Groups and their tools, es: Los grupos y sus herramientas}
consent:
  version: 1
  text: {en: We keep your answers., es: Guardamos tus respuestas.}
  agree: {en: I agree, es: Acepto}
  decline: {en: No thanks, es: "No, gracias"}
thanks: {en: Thank you!, es: ¡Gracias!}
catalogues:
  - id: activities
    items:
      - {id: announce, label: {en: Telling members news, es: Dar noticias}}
      - {id: money, label: {en: Handling money, es: Manejar dinero}, aliases: [finances, bookkeeping]}
      - {id: decide, label: {en: Deciding together, es: Decidir en grupo}}
  - id: tools
    items:
      - {id: whatsapp, label: {en: WhatsApp, es: WhatsApp}, aliases: [wa]}
      - {id: email, label: {en: Email, es: Correo}}
      - {id: spreadsheet, label: {en: Spreadsheet, es: Hoja de cálculo}}
      - {id: paper, label: {en: Paper, es: Papel}, aliases: [noticeboard]}
questions:
  - id: group_kind
    kind: single
    text: {en: "What kind of group?", es: "¿Qué tipo de grupo?"}
    short: {en: Kind of group, es: Tipo de grupo}
    other: true
    options:
      - {id: union, label: {en: Union, es: Sindicato}}
      - {id: choir, label: {en: Choir, es: Coro}}
      - {id: mutual_aid, label: {en: Mutual aid, es: Apoyo mutuo}}
  - id: size
    kind: single
    text: {en: "How many people?", es: "¿Cuántas personas?"}
    short: {en: Size, es: Tamaño}
    options:
      - {id: small, label: {en: Under 30, es: Menos de 30}}
      - {id: large, label: {en: 30 or more, es: 30 o más}}
  - id: region
    kind: single
    optional: true
    text: {en: "Where?", es: "¿Dónde?"}
    short: {en: Region, es: Región}
    options:
      - {id: wales, label: {en: Wales, es: Gales}}
      - {id: scotland, label: {en: Scotland, es: Escocia}}
      - {id: london, label: {en: London, es: Londres}}
      - {id: outside_uk, label: {en: Outside the UK, es: Fuera del Reino Unido}}
  - id: activities
    kind: multi
    from: activities
    min: 1
    other: true
    text: {en: "What does your group do?", es: "¿Qué hace tu grupo?"}
  - id: tools
    kind: matrix
    rows: activities
    columns: tools
    other: true
    text: {en: "Tools for {item}?", es: "¿Herramientas para {item}?"}
    options:
      - {id: none, exclusive: true, label: {en: No tool, es: Ninguna}}
  - id: hardest_activity
    kind: single
    from: activities
    text: {en: "Which is hardest?", es: "¿Qué es lo más difícil?"}
    options:
      - {id: none, label: {en: None is hard, es: Ninguna es difícil}}
  - id: hard_why
    kind: text
    optional: true
    text: {en: "What makes it hard?", es: "¿Qué lo hace difícil?"}
  - id: recommend
    kind: single
    optional: true
    from: tools
    text: {en: "A tool others should know about?", es: "¿Una herramienta que otros deberían conocer?"}
    options:
      - {id: not_really, label: {en: Not really, es: La verdad es que no}}
  - id: role
    kind: single
    optional: true
    text: {en: "Your role?", es: "¿Tu papel?"}
    short: {en: Role, es: Papel}
    options:
      - {id: organiser, label: {en: Organiser, es: Organizadora}}
      - {id: volunteer, label: {en: Volunteer, es: Voluntaria}}
  - id: quote_ok
    kind: single
    when: {question: hard_why, answered: true}
    text: {en: "May we quote you?", es: "¿Podemos citarte?"}
    options:
      - {id: "no", label: {en: "No", es: "No"}}
      - {id: "yes", label: {en: "Yes", es: "Sí"}}
`

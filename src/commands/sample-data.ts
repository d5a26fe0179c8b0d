/** Word lists for `boutique seed`: enough variety that lists, searches and sorts look real. */
export const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Anya', 'Beatriz', 'Bjorn', 'Carmen', 'Chen', 'Chiara', 'Dae-jung', 'Dmitri', 'Elif', 'Emeka', 'Eva',
  'Farah', 'Felix', 'Grace', 'Hana', 'Hiroshi', 'Ines', 'Ivan', 'Jae-won', 'Jamal', 'Jin', 'Kai', 'Kofi', 'Lars', 'Leila',
  'Lucia', 'Malik', 'Maya', 'Mei', 'Minji', 'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Rafael', 'Rosa', 'Sakura', 'Seo-yeon',
  'Sipho', 'Sofia', 'Tariq', 'Thandiwe', 'Tomas', 'Una', 'Valentina', 'Wei', 'Yara', 'Yusuf', 'Zainab', 'Zoe',
] as const;

export const LAST_NAMES = [
  'Abara', 'Andersen', 'Bauer', 'Castillo', 'Chowdhury', 'Costa', 'Dubois', 'Eriksen', 'Fernandes', 'Fischer', 'Garcia',
  'Haddad', 'Hoffmann', 'Ibrahim', 'Ito', 'Jensen', 'Kang', 'Kim', 'Kowalski', 'Lee', 'Lindqvist', 'Lopez', 'Mensah', 'Moreau',
  'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Oliveira', 'Park', 'Patel', 'Petrov', 'Quinn', 'Rossi', 'Santos', 'Schmidt',
  'Silva', 'Singh', 'Tanaka', 'Torres', 'Usman', 'Van Dijk', 'Wang', 'Wojcik', 'Yamamoto', 'Yilmaz', 'Zhang', 'Zulu',
] as const;

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example', 'shop.example'] as const;

/** SKU and price in cents; the catalogue of a small clothing and homeware shop. */
export const PRODUCTS: readonly { sku: string; unitPrice: number }[] = [
  { sku: 'TSHIRT-S-WHITE', unitPrice: 1999 }, { sku: 'TSHIRT-M-WHITE', unitPrice: 1999 }, { sku: 'TSHIRT-L-BLACK', unitPrice: 1999 },
  { sku: 'TSHIRT-XL-NAVY', unitPrice: 2199 }, { sku: 'HOODIE-M-GREY', unitPrice: 4999 }, { sku: 'HOODIE-L-FOREST', unitPrice: 5299 },
  { sku: 'CAP-ONE-RED', unitPrice: 1499 }, { sku: 'BEANIE-ONE-MUSTARD', unitPrice: 1799 }, { sku: 'SOCKS-3PACK', unitPrice: 1299 },
  { sku: 'TOTE-CANVAS', unitPrice: 1599 }, { sku: 'MUG', unitPrice: 1250 }, { sku: 'MUG-ENAMEL-BLUE', unitPrice: 1450 },
  { sku: 'POSTER-A2-SOCKETS', unitPrice: 2500 }, { sku: 'STICKER-PACK', unitPrice: 499 }, { sku: 'NOTEBOOK-DOT-A5', unitPrice: 899 },
  { sku: 'PEN-BRASS', unitPrice: 3200 }, { sku: 'CANDLE-CEDAR', unitPrice: 2400 }, { sku: 'SCARF-WOOL-PLAID', unitPrice: 3900 },
  { sku: 'APRON-DENIM', unitPrice: 2899 }, { sku: 'GIFT-CARD-50', unitPrice: 5000 },
];

/** How often each status appears: most orders of a year-old shop are shipped. */
export const STATUS_WEIGHTS = [
  ['shipped', 55],
  ['paid', 15],
  ['pending', 20],
  ['cancelled', 10],
] as const;

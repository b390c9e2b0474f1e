"""What each file of this corpus holds, written from the specifications the files follow
(OFX 1.0.2 and 2.1.1, ISO 20022 camt.053 .001.02 to .001.13, the banks' documented CSV
layouts) — the files were written for this corpus, none is copied.

For each file: its format, the column mapping (a preset's code, or a mapping), what it
covers, and per statement its account, currency, balances, number of lines, sum of
amounts, notes, and a few lines exactly: index → (date, amount, bank id, description).
A key naming a folder (``build``) is a ZIP the test makes of that folder's files."""

from decimal import Decimal as D

FILES: dict[str, dict] = {
    # --- OFX ----------------------------------------------------------------------------
    "ofx_v1_sgml.ofx": {
        "format": "ofx",
        "covers": "OFX 1.0.2 SGML with CRLF, blank lines and spaces before the header, "
        "Windows-1252 accents, times with a zone (20:20 EDT on the 15th stays the 15th; "
        "23:00 EST on the 30th stays the 30th), CHECKNUM and REFNUM; AVAILBAL is ignored",
        "statements": [
            {
                "account": "1234567",
                "currency": "CAD",
                "opening": None,
                "closing": D("258447.50"),
                "count": 4,
                "total": D("248447.50"),
                "lines": {
                    0: (
                        "2025-09-15",
                        "-1100.00",
                        "202509150001",
                        "ANNIE QUMALUK AVQ-2025F-100001-03",
                    ),
                    1: (
                        "2025-09-16",
                        "250000.00",
                        "202509160002",
                        "GOUVERNEMENT DU QUÉBEC Subvention d'opération",
                    ),
                    3: ("2025-09-30", "-2.50", "202509300004", "FRAIS DE SERVICE"),
                },
            }
        ],
    },
    "ofx_v2_xml.ofx": {
        "format": "ofx",
        "covers": "OFX 2.1.1 XML: closing tags, an XML comment, two BANKTRANLISTs in one "
        "statement, &amp; and a character reference, <MEMO/> and <MEMO></MEMO>, a decimal "
        "comma (-75,25), a '+' sign, 23:59:59 EST on the 20th stays the 20th",
        "statements": [
            {
                "account": "4567890",
                "currency": "CAD",
                "opening": None,
                "closing": D("20267.25"),
                "count": 4,
                "total": D("10267.25"),
                "lines": {
                    1: ("2025-09-10", "-75.25", "NBC-20250910-0002", "DUPUIS & FILS"),
                    2: (
                        "2025-09-20",
                        "12000.00",
                        "NBC-20250920-0003",
                        "ADMINISTRATION RÉGIONALE KATIVIK",
                    ),
                },
            }
        ],
    },
    "desjardins_multi.ofx": {
        "format": "ofx",
        "covers": "Desjardins-style OFX: CAD chequing, CAD savings and USD chequing in one "
        "file, three statements never merged; no LEDGERBAL; a 10-digit BANKID, 16-digit "
        "FITIDs; UTF-8 accents under a CHARSET:1252 header",
        "statements": [
            {
                "account": "300010123456",
                "currency": "CAD",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("23897.50"),
                "lines": {
                    0: (
                        "2025-09-02",
                        "-1100.00",
                        "9000123456789012",
                        "Virement Interac /Annie Qumaluk AVQ-2025F-100001-03",
                    ),
                    1: (
                        "2025-09-03",
                        "25000.00",
                        "9000123456789013",
                        "Dépôt direct /Gouvernement du Québec",
                    ),
                },
            },
            {
                "account": "300010123464",
                "currency": "CAD",
                "opening": None,
                "closing": None,
                "count": 1,
                "total": D("12.34"),
                "lines": {0: ("2025-09-30", "12.34", "9000123464000001", "Intérêts")},
            },
            {
                "account": "300010765432",
                "currency": "USD",
                "opening": None,
                "closing": None,
                "count": 2,
                "total": D("1196.00"),
                "lines": {
                    1: ("2025-09-30", "-4.00", "9000765432000002", "Frais mensuels USD"),
                },
            },
        ],
    },
    "credit_card.qfx": {
        "format": "ofx",
        "covers": "QFX (Intuit's INTU.BID/INTU.USERID tags) credit-card statement "
        "(CREDITCARDMSGSRSV1/CCSTMTRS), the card's number as account, a debt as a negative "
        "LEDGERBAL",
        "statements": [
            {
                "account": "4510123412349876",
                "currency": "CAD",
                "opening": None,
                "closing": D("-408.39"),
                "count": 3,
                "total": D("-408.39"),
                "lines": {
                    0: ("2025-09-08", "-845.20", "24510125090800011", "AIR INUIT KUUJJUAQ QC"),
                    2: ("2025-09-25", "500.00", "24510125092500013", "PAIEMENT - MERCI"),
                },
            }
        ],
    },
    "ofx_no_ledgerbal_long_ids.ofx": {
        "format": "ofx",
        "covers": "Nubank-style OFX 1.0.3: a blank line before the header, ENCODING:UTF-8 "
        "CHARSET:NONE, SGML with closed leaves, no LEDGERBAL, a 13-digit BANKID, UUID "
        "FITIDs, MEMO without NAME",
        "statements": [
            {
                "account": "98765432101234",
                "currency": "BRL",
                "opening": None,
                "closing": None,
                "count": 2,
                "total": D("2879.45"),
                "lines": {
                    0: (
                        "2025-10-02",
                        "3000.00",
                        "6a1f0c2e-7b3d-4e55-9a1c-0f2d3e4b5c6d",
                        "Transferência recebida - Fundação Nunavik",
                    ),
                },
            }
        ],
    },
    # --- camt.053 -------------------------------------------------------------------------
    "camt053_v02_balances.xml": {
        "format": "camt053",
        "covers": "camt.053.001.02: IBAN account (letters kept), OPBD and CLBD balances "
        "(CLAV ignored), AcctSvcrRef, an entry with only NtryRef, one with no reference "
        "(bank id ''), a booking date-time at 23:45 -05:00 kept as printed, NOTPROVIDED, "
        "two Ustrd joined, a structured creditor reference",
        "statements": [
            {
                "account": "FR7630004000031234567890143",
                "currency": "CAD",
                "opening": D("10000.00"),
                "closing": D("2697.50"),
                "count": 4,
                "total": D("-7302.50"),
                "lines": {
                    0: (
                        "2025-10-01",
                        "2500.00",
                        "2025100100017",
                        "Remboursement frais de scolarité",
                    ),
                    1: ("2025-10-02", "-1100.00", "2025100200021", "Allocation octobre"),
                    2: ("2025-10-03", "-8700.00", "N-0003", "INV-55012"),
                    3: ("2025-10-03", "-2.50", "", "Frais de tenue de compte"),
                },
            }
        ],
    },
    "camt053_v08_balances.xml": {
        "format": "camt053",
        "covers": "camt.053.001.08: Sts/Cd, Othr/Id account (digits), PRCD as opening with "
        "a DBIT sign (overdrawn), ITBD ignored, CLBD, TxDtls/Amt, parties under Pty",
        "statements": [
            {
                "account": "0815300011234567",
                "currency": "CAD",
                "opening": D("-1500.00"),
                "closing": D("1837.25"),
                "count": 3,
                "total": D("3337.25"),
                "lines": {
                    0: ("2025-11-03", "5000.00", "BNC-20251103-0001", "Contribution novembre"),
                    2: ("2025-11-05", "-12.75", "BNC-20251105-0002", "Frais de virement"),
                },
            }
        ],
    },
    "camt053_batch.xml": {
        "format": "camt053",
        "covers": "camt.053.001.04 batches: one entry of three transfers with amounts is "
        "three lines (the detail's AcctSvcrRef, else entry ref/index); one whose details "
        "carry no amount is one line keeping every detail's reference and remittance; one "
        "whose details do not add up is one line, with a note",
        "statements": [
            {
                "account": "7788990",
                "currency": "CAD",
                "opening": D("20000.00"),
                "closing": D("16950.00"),
                "count": 5,
                "total": D("-3050.00"),
                "notes": [
                    "entry 3: its transaction details do not add up to its amount; kept as one line"
                ],
                "lines": {
                    0: ("2025-10-15", "-1100.00", "B-77001-1", "Allocation novembre"),
                    1: ("2025-10-15", "-1100.00", "B-77001/2", "Allocation novembre"),
                    2: ("2025-10-15", "-1100.00", "B-77001/3", "Allocation novembre"),
                    3: (
                        "2025-10-16",
                        "450.00",
                        "B-77002",
                        "R-1 Remboursement A / R-2 Remboursement B",
                    ),
                    4: ("2025-10-17", "-200.00", "B-77003", "F-1 Fournitures / F-2 Livres"),
                },
            }
        ],
    },
    "camt053_pending.xml": {
        "format": "camt053",
        "covers": "camt.053.001.08 pending entries (Sts/Cd PDNG, dated by ValDt only) "
        "skipped, counted in the notes and out of the balances",
        "statements": [
            {
                "account": "1234567",
                "currency": "CAD",
                "opening": D("1000.00"),
                "closing": D("1250.00"),
                "count": 2,
                "total": D("250.00"),
                "notes": ["2 pending entries skipped"],
                "lines": {1: ("2025-10-20", "-50.00", "P-0003", "Frais")},
            }
        ],
    },
    "camt053_value_date_only.xml": {
        "format": "camt053",
        "covers": "camt.053.001.13 entries without a booking date (ValDt Dt, and a DtTm "
        "at 23:30 +01:00 kept as printed); the currency from Amt/@Ccy (no Acct/Ccy); no "
        "balances",
        "statements": [
            {
                "account": "7654321",
                "currency": "EUR",
                "opening": None,
                "closing": None,
                "count": 2,
                "total": D("625.00"),
                "lines": {
                    0: ("2025-11-10", "640.00", "VD-2025-11-10-01", ""),
                    1: ("2025-11-10", "-15.00", "VD-2025-11-10-02", "Commission"),
                },
            }
        ],
    },
    "camt053_duplicate_endtoend.xml": {
        "format": "camt053",
        "covers": "camt.053.001.02: four entries sharing one EndToEndId and no bank "
        "reference (two alike in every field) are four lines; Sts PDNG (the .02 form) "
        "skipped",
        "statements": [
            {
                "account": "1234567",
                "currency": "CAD",
                "opening": D("100.00"),
                "closing": D("510.00"),
                "count": 4,
                "total": D("410.00"),
                "notes": ["1 pending entry skipped"],
                "lines": {
                    0: ("2025-10-06", "100.00", "", "Don mensuel"),
                    1: ("2025-10-06", "100.00", "", "Don mensuel"),
                    3: ("2025-10-07", "-40.00", "", "Retour partiel"),
                },
            }
        ],
    },
    "camt053_month.zip": {
        "format": "camt053",
        "build": "camt053_month",
        "covers": "a ZIP of daily camt.053 files (.001.02 and .001.08): each file's "
        "statement, each with its balances",
        "statements": [
            {
                "account": "1234567",
                "currency": "CAD",
                "opening": D("5000.00"),
                "closing": D("3900.00"),
                "count": 1,
                "total": D("-1100.00"),
                "lines": {0: ("2025-10-01", "-1100.00", "D1-0001", "")},
            },
            {
                "account": "1234567",
                "currency": "CAD",
                "opening": D("3900.00"),
                "closing": D("2248.00"),
                "count": 2,
                "total": D("-1652.00"),
                "lines": {1: ("2025-10-02", "-2.00", "D2-0002", "Frais")},
            },
        ],
    },
    # --- CSV: the banks' presets ------------------------------------------------------------
    "desjardins_accesd.csv": {
        "format": "csv",
        "mapping": "desjardins",
        "covers": "AccèsD: no header, 14 positional columns, Windows-1252, CRLF, a blank "
        "first line; two accounts (EOP and ES1) are two statements; interest is money in; "
        "balances from the balance column",
        "statements": [
            {
                "account": "0123456",
                "currency": "",
                "opening": D("50000.00"),
                "closing": D("73447.50"),
                "count": 4,
                "total": D("23447.50"),
                "lines": {
                    0: ("2025-09-02", "-1100.00", "", "Virement Interac envoyé /Annie Qumaluk"),
                    2: ("2025-09-03", "25000.00", "", "Dépôt direct /Gouvernement du Québec"),
                },
            },
            {
                "account": "01234561",
                "currency": "",
                "opening": D("5000.00"),
                "closing": D("5012.34"),
                "count": 1,
                "total": D("12.34"),
                "lines": {0: ("2025-09-30", "12.34", "", "Intérêts")},
            },
        ],
    },
    "rbc.csv": {
        "format": "csv",
        "mapping": "rbc",
        "covers": "RBC: header, M/D/YYYY, two description columns joined, signed amounts in "
        "CAD$ or USD$; a CAD and a USD account are two statements with their currency",
        "statements": [
            {
                "account": "054321234567",
                "currency": "CAD",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("23450.00"),
                "lines": {0: ("2025-09-02", "-1100.00", "", "E-TRANSFER SENT ANNIE QUMALUK")},
            },
            {
                "account": "054327654321",
                "currency": "USD",
                "opening": None,
                "closing": None,
                "count": 2,
                "total": D("1196.00"),
                "lines": {0: ("2025-09-04", "1200.00", "", "WIRE TFR NUNAVIK FOUNDATION")},
            },
        ],
    },
    "td.csv": {
        "format": "csv",
        "mapping": "td",
        "covers": "TD: no header, MM/DD/YYYY, withdrawal and deposit columns, a running "
        "balance with thousands separators",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": D("10000.00"),
                "closing": D("33446.05"),
                "count": 4,
                "total": D("23446.05"),
                "lines": {3: ("2025-09-30", "-3.95", "", "MONTHLY ACCOUNT FEE")},
            }
        ],
    },
    "bmo.csv": {
        "format": "csv",
        "mapping": "bmo",
        "covers": "BMO: a preamble and blank lines above the header, a header name with a "
        "leading space, YYYYMMDD, a DEBIT/CREDIT column (a DEBIT written positive is "
        "still money out)",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("23897.50"),
                "lines": {
                    0: ("2025-09-02", "-1100.00", "", "[CW] INTERAC ETRNSFR SENT ANNIE QUMALUK"),
                    2: ("2025-09-30", "-2.50", "", "[SC]SERVICE CHARGE"),
                },
            }
        ],
    },
    "scotiabank.csv": {
        "format": "csv",
        "mapping": "scotiabank",
        "covers": "Scotiabank: UTF-8 with BOM, newest first, unsigned amounts with a "
        "Debit/Credit type, description and sub-description joined, a pending row skipped",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 4,
                "total": D("23446.05"),
                "notes": ["1 pending entry skipped"],
                "lines": {
                    0: ("2025-09-30", "-3.95", "", "Service charge Monthly fee"),
                    2: ("2025-09-03", "25000.00", "", "Deposit Gouvernement du Québec"),
                },
            }
        ],
    },
    "national_bank.csv": {
        "format": "csv",
        "mapping": "national",
        "covers": "National Bank: ';' separated, debits written negative in the debit column "
        "(still money out), thousands separators, a balance column",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": D("10000.00"),
                "closing": D("33892.50"),
                "count": 3,
                "total": D("23892.50"),
                "lines": {
                    0: ("2025-09-02", "-1100.00", "", "Virement Interac envoyé - A. Qumaluk")
                },
            }
        ],
    },
    "cibc.csv": {
        "format": "csv",
        "mapping": "cibc",
        "covers": "CIBC: no header, YYYY-MM-DD, debit and credit columns",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("23896.00"),
                "lines": {2: ("2025-09-30", "-4.00", "", "SERVICE CHARGE")},
            }
        ],
    },
    "tangerine.csv": {
        "format": "csv",
        "mapping": "tangerine",
        "covers": "Tangerine: header, M/D/YYYY, signed amounts, name and memo joined",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("23903.21"),
                "lines": {
                    1: ("2025-09-03", "25000.00", "", "EFT Deposit from GOUV QUEBEC Subvention")
                },
            }
        ],
    },
    # --- CSV: shapes mapped by hand ----------------------------------------------------------
    "dc_column.csv": {
        "format": "csv",
        "mapping": {
            "date": "Date",
            "description": "Libellé",
            "amount": "Montant",
            "sign": "Type d'opération",
            "balance": "Solde",
            "delimiter": ";",
            "decimal_comma": True,
        },
        "covers": "a French export: lines above the header, ';', decimal commas with no-break "
        "space groups, the way in a 'Type d'opération' column (Débit/Crédit; a debit "
        "written -2,50 is still money out)",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": D("10000.00"),
                "closing": D("33897.50"),
                "count": 3,
                "total": D("23897.50"),
                "lines": {2: ("2025-09-30", "-2.50", "", "Frais")},
            }
        ],
    },
    "card_inverted.csv": {
        "format": "csv",
        "mapping": {
            "date": "Date",
            "description": "Description",
            "amount": "Amount",
            "invert_sign": True,
        },
        "covers": "a card export writing purchases positive, read with invert_sign",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("0.00"),
                "lines": {
                    0: ("2025-09-05", "-845.20", "", "AIR INUIT KUUJJUAQ"),
                    2: ("2025-09-20", "908.39", "", "PAYMENT - THANK YOU"),
                },
            }
        ],
    },
    "currency_column.csv": {
        "format": "csv",
        "mapping": {
            "date": "Date",
            "description": "Description",
            "amount": "Amount",
            "currency": "Currency",
        },
        "covers": "a currency column (any case) giving the statement's currency",
        "statements": [
            {
                "account": "",
                "currency": "USD",
                "opening": None,
                "closing": None,
                "count": 3,
                "total": D("885.00"),
                "lines": {2: ("2025-09-09", "-300.00", "", "Wire out")},
            }
        ],
    },
    "utf16.csv": {
        "format": "csv",
        "mapping": {
            "date": "Date",
            "description": "Description",
            "amount": "Amount",
            "delimiter": "\t",
        },
        "covers": "Excel's 'Unicode text': UTF-16 LE with BOM, tab-separated, CRLF",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 2,
                "total": D("1185.00"),
                "lines": {0: ("2025-09-02", "1200.00", "", "Virement reçu — Fondation")},
            }
        ],
    },
    "thousands_comma.csv": {
        "format": "csv",
        "mapping": {
            "date": "Date",
            "description": "Description",
            "amount": "Montant",
            "delimiter": ";",
            "decimal_comma": True,
        },
        "covers": "decimal commas with every group separator: space, U+00A0, U+202F, '.', "
        "\"'\"; '1 234,56 $', '(45,67)', '45,67-'",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 8,
                "total": D("5377.88"),
                "lines": {
                    1: ("2025-09-02", "-1234.56", "", "espace insécable"),
                    2: ("2025-09-03", "2000.00", "", "espace fine insécable"),
                    3: ("2025-09-04", "1234.56", "", "point"),
                    4: ("2025-09-05", "1000.10", "", "apostrophe"),
                    5: ("2025-09-06", "1234.56", "", "dollar"),
                    6: ("2025-09-07", "-45.67", "", "parenthèses"),
                    7: ("2025-09-08", "-45.67", "", "moins final"),
                },
            }
        ],
    },
    "thousands_point.csv": {
        "format": "csv",
        "mapping": {"date": "Date", "description": "Description", "amount": "Amount"},
        "covers": "decimal points with every group separator: ',', \"'\", space, U+00A0; "
        "'$1,234.56', '-$2,000.00', '(45.67)', '45.67-'",
        "statements": [
            {
                "account": "",
                "currency": "",
                "opening": None,
                "closing": None,
                "count": 8,
                "total": D("3612.44"),
                "lines": {
                    1: ("2025-09-02", "1234.56", "", "dollar"),
                    2: ("2025-09-03", "-2000.00", "", "negative dollar"),
                    3: ("2025-09-04", "1000.10", "", "apostrophe"),
                    4: ("2025-09-05", "1234.56", "", "space"),
                    5: ("2025-09-06", "-45.67", "", "parentheses"),
                    6: ("2025-09-07", "-45.67", "", "trailing minus"),
                    7: ("2025-09-08", "1000.00", "", "no-break space"),
                },
            }
        ],
    },
}

# Files of the corpus that are refused, and the message that says why.
REFUSED: dict[str, tuple[str, str]] = {
    "ofx_status_error.ofx": (
        "ofx",
        "the bank answered with an error instead of a statement "
        "(2003: Account not found or not available for download)",
    ),
    "ofx_investment.ofx": (
        "ofx",
        "this is an investment statement; investment statements are not bank statements",
    ),
}

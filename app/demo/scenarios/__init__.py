"""Fixed vocabularies for the demo entries: six scenario subjects per domain.

Demo content is data, not UI: plain Simplified Chinese. Templates may use
``{obj}`` (the application object, e.g. "PCB板"), ``{city}`` (the entry's
city), ``{org}`` (the organisation's short name) and ``{a..b}`` (a whole
number drawn from a to b). Outcome ranges never overlap, so every outcome
row moves in the right direction.
"""
from app.demo.scenarios import economy, public, social
from app.demo.scenarios.base import DomainText, Outcome, Scenario
from app.enums import Domain

__all__ = ["DOMAIN_TEXT", "SCENARIOS", "DomainText", "Outcome", "Scenario"]

SCENARIOS: dict[Domain, tuple[Scenario, ...]] = {
    Domain.MANUFACTURING: economy.MANUFACTURING,
    Domain.GOVERNMENT: public.GOVERNMENT,
    Domain.CITY: public.CITY,
    Domain.HEALTHCARE: social.HEALTHCARE,
    Domain.EDUCATION: social.EDUCATION,
    Domain.FINANCE: economy.FINANCE,
    Domain.SECURITY: public.SECURITY,
    Domain.UNMANNED: economy.UNMANNED,
}

DOMAIN_TEXT: dict[Domain, DomainText] = {
    Domain.MANUFACTURING: DomainText(
        peers="电子信息、汽车零部件、家电、陶瓷、纺织等制造行业",
        security=("生产数据在工厂内网处理，工业控制网络与办公网络逻辑隔离。", "按照工业数据分类分级要求对工艺参数等核心数据重点保护。"),
        partners=("华南理工大学", "广东工业大学", "广东省科学院智能制造研究所", "季华实验室", "佛山仙湖实验室", "五邑大学"),
    ),
    Domain.GOVERNMENT: DomainText(
        peers="全省各地市及区县政务服务部门",
        security=("系统部署在政务云，政务数据共享严格按授权目录执行。", "自动审批和智能推荐结果均可查询依据，申请人可提出异议并由人工复核。"),
        partners=("中山大学", "华南理工大学", "暨南大学", "琶洲实验室", "广州大学"),
    ),
    Domain.CITY: DomainText(
        peers="省内其他地市及国内同类城市",
        security=("视频数据在城市内网处理，人脸、车牌等敏感信息默认脱敏显示。", "公共数据按照公共数据管理相关规定开放和共享。"),
        partners=("中山大学", "深圳大学", "南方科技大学", "鹏城实验室", "广州大学", "香港科技大学（广州）"),
    ),
    Domain.HEALTHCARE: DomainText(
        peers="各级医疗机构，特别是县域和基层医疗卫生机构",
        security=("患者数据不出院，模型训练使用去标识化数据。", "项目通过医学伦理委员会审查，AI结果仅作辅助参考，诊疗决定由医生作出。"),
        partners=("南方医科大学", "中山大学", "暨南大学", "广东省人民医院", "中国科学院深圳先进技术研究院", "汕头大学"),
    ),
    Domain.EDUCATION: DomainText(
        peers="省内中小学、职业院校及其他地区教育部门",
        security=("严格落实未成年人个人信息保护要求，学生数据经监护人授权后使用。", "不将学生人脸身份用于课堂评价，分析结果仅用于教学改进。"),
        partners=("华南师范大学", "广州大学", "岭南师范学院", "嘉应学院", "韶关学院", "深圳大学"),
    ),
    Domain.FINANCE: DomainText(
        peers="省内城市商业银行、农村金融机构及其他持牌金融机构",
        security=("依据金融数据安全分级指南对客户数据分级管控，敏感字段加密存储。", "模型纳入模型风险管理体系，上线前经独立验证，定期评估公平性。"),
        partners=("中山大学", "暨南大学", "南方科技大学", "深圳大学", "香港科技大学（广州）"),
    ),
    Domain.SECURITY: DomainText(
        peers="省内各地市公安、应急、消防及重点行业单位",
        security=("视频图像与人员数据按公共安全视频图像信息系统管理要求严格管控。", "算法识别结果须经人工核实后方可用于处置，杜绝仅凭算法作出处罚决定。"),
        partners=("华南理工大学", "中山大学", "鹏城实验室", "广东工业大学", "广东海洋大学"),
    ),
    Domain.UNMANNED: DomainText(
        peers="省内同类园区、港口、农业生产经营主体和物流企业",
        security=("运行数据实时接入行业监管平台，严格遵守空域管理和道路测试管理规定。", "设置远程接管与紧急停止机制，高精地图数据按测绘地理信息安全规定管理。"),
        partners=("华南农业大学", "南方科技大学", "华南理工大学", "广东工业大学", "松山湖材料实验室", "中国科学院深圳先进技术研究院"),
    ),
}

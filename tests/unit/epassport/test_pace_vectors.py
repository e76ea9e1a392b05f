"""PACE Generic Mapping against published worked examples.

Sources (values copied as literals):
* ICAO Doc 9303 Part 11, Appendix G.1 (PACE ECDH-GM, brainpoolP256r1, AES-128) and G.2
  (PACE DH-GM, 1024-bit MODP group of RFC 5114, AES-128), MRZ password T22000129 /
  640812 / 101031, as transcribed in ZeroPass/dmrtd test/pace_test_ecdh.dart and
  test/pace_test_dh.dart (commit f46d310 / be55ab5) and gmrtd/gmrtd pace/pace_test.go
  (TestDoPace_GM_ECDH).
* A real New Zealand passport session, PACE ECDH-GM with 3DES on brainpoolP256r1, from
  gmrtd/gmrtd pace/pace_test.go (TestDoPace_GM_ECDH_TDES_CBC_NZ), with the session keys
  gmrtd expects.
"""

from __future__ import annotations

import hashlib

import pytest

from devices.epassport import cipher, pace
from devices.epassport.access_key import CANKey, MRZKey
from devices.epassport.cipher import AES128, SessionKeys
from devices.epassport.domain import standard_domain
from devices.epassport.errors import AccessControlError
from devices.epassport.securityinfos import parse_security_infos
from devices.epassport.sm import SecureChannel

from .scripted import ScriptedChannel, fixed_keys

ICAO_KEY = MRZKey("T22000129", "640812", "101031")


def h(value: str) -> bytes:
    return bytes.fromhex("".join(value.split()))


def _keys_of(secure: SecureChannel) -> SessionKeys:
    keys: SessionKeys = secure._keys
    return keys


def test_icao_password_key() -> None:
    assert hashlib.sha1(ICAO_KEY.mrz_information.encode()).digest() == h(  # noqa: S324
        "7e2d2a41c74ea0b38cd36f863939bfa8e9032aad"
    )
    assert pace.password_key(ICAO_KEY, AES128) == h("89ded1b26624ec1e634c1989302849dd")
    assert cipher.aes_decrypt(
        h("89ded1b26624ec1e634c1989302849dd"), h("95a3a016522ee98d01e76cb6b98b42c3")
    ) == h("3F00C4D39D153F2B2A214A078D899B22")


def test_icao_g1_ecdh_generic_mapping_intermediates() -> None:
    domain = standard_domain(13)
    terminal_map = int("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99", 16)
    chip_map = int("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560", 16)
    assert domain.public_key(terminal_map) == h(
        "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
    )
    chip_public = domain.public_key(chip_map)
    assert chip_public == h(
        "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
    )
    shared = domain.shared_point(terminal_map, chip_public)
    assert shared == (
        0x60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5,
        0x0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181,
    )
    nonce = 0x3F00C4D39D153F2B2A214A078D899B22
    mapped = domain.map_generic(nonce, terminal_map, chip_public)
    assert mapped.generator == (
        0x8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2,
        0x8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522,
    )
    # both sides map to the same generator
    assert (
        domain.map_generic(nonce, chip_map, domain.public_key(terminal_map)).generator
        == mapped.generator
    )
    chip_eph = mapped.public_key(0x107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A)
    secret = mapped.agree(
        0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595, chip_eph
    )
    assert secret == h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
    keys = SessionKeys.derive(secret, AES128)
    assert keys.k_enc == h("F5F0E35C0D7161EE6724EE513A0D9A7F")
    assert keys.k_mac == h("FE251C7858B356B24514B3BD5F4297D1")
    oid = "0.4.0.127.0.7.2.2.4.2.2"
    assert pace.token_input(oid, mapped, chip_eph) == h(
        "7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
    )
    assert pace.auth_token(AES128, keys.k_mac, oid, mapped, chip_eph) == h("C2B0BD78D94BA866")


G1_SCRIPT = [
    ("0022C1A40F800A04007F00070202040202830101", "9000"),
    ("10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000"),
    (
        "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00",
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000",
    ),
    (
        "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
        "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200",
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000",
    ),
    ("008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C089000"),
]
G1_KEYS = (
    "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99",
    "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595",
)


def test_icao_g1_ecdh_full_exchange() -> None:
    infos = parse_security_infos(h("31143012060A04007F0007020204020202010202010D"))
    (choice,) = pace.supported_choices(infos)
    assert choice.algorithm.name == "id-PACE-ECDH-GM-AES-CBC-CMAC-128"
    assert choice.domain.name == "brainpoolP256r1"
    channel = ScriptedChannel(G1_SCRIPT)
    secure = pace.perform_pace(channel, ICAO_KEY, choice, keys=fixed_keys(*G1_KEYS))
    assert channel.done
    keys = _keys_of(secure)
    assert (keys.k_enc, keys.k_mac) == (
        h("F5F0E35C0D7161EE6724EE513A0D9A7F"),
        h("FE251C7858B356B24514B3BD5F4297D1"),
    )
    assert secure._ssc == 0


def test_icao_g1_wrong_chip_token_is_detected() -> None:
    script = [
        *G1_SCRIPT[:-1],
        ("008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C099000"),
    ]
    choice = pace.supported_choices(
        parse_security_infos(h("31143012060A04007F0007020204020202010202010D"))
    )[0]
    with pytest.raises(AccessControlError) as caught:
        pace.perform_pace(ScriptedChannel(script), ICAO_KEY, choice, keys=fixed_keys(*G1_KEYS))
    assert caught.value.reason == "token_mismatch"


def test_icao_g1_chip_refusing_the_token_means_wrong_password() -> None:
    script = [*G1_SCRIPT[:-1], ("008600000C7C0A8508C2B0BD78D94BA86600", "6300")]
    choice = pace.supported_choices(
        parse_security_infos(h("31143012060A04007F0007020204020202010202010D"))
    )[0]
    with pytest.raises(AccessControlError) as caught:
        pace.perform_pace(ScriptedChannel(script), ICAO_KEY, choice, keys=fixed_keys(*G1_KEYS))
    assert caught.value.reason == "refused" and caught.value.sw == 0x6300


DH_TERMINAL_PUBLIC = """
23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920
B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022D
CB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C"""
DH_CHIP_PUBLIC = """
78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7
B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F24
49400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6"""
DH_TERMINAL_EPH = """
907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747C
C7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236
B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4"""
DH_CHIP_EPH = """
075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3
AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064
386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1"""


def test_icao_g2_dh_generic_mapping() -> None:
    infos = parse_security_infos(h("31143012060A04007F00070202040102020102020100"))
    (choice,) = pace.supported_choices(infos)
    assert choice.algorithm.name == "id-PACE-DH-GM-AES-CBC-CMAC-128"
    domain = choice.domain
    terminal_map = 0x5265030F751F4AD18B08AC565FC7AC952E41618D
    assert domain.public_key(terminal_map) == h(DH_TERMINAL_PUBLIC)
    assert domain.public_key(0x66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C) == h(DH_CHIP_PUBLIC)
    assert domain.agree(terminal_map, h(DH_CHIP_PUBLIC)) == h(
        "5BABEBEF5B74E5BA94B5C063FDA15F1F1CDE94873EE0A5D3A2FCAB49F258D07F544F13CB66658C3AFEE9E727389BE3F6"
        "CBBBD32128A8C21DD6EEA3CF7091CDDFB08B8D007D40318DCCA4FFBF51208790FB4BD111E5A968ED6B6F08B26CA87C41"
        "0B3CE0C310CE104EABD16629AA48620C1279270CB0750C0D37C57FFFE302AE7F"
    )
    nonce_key = pace.password_key(ICAO_KEY, AES128)
    nonce = cipher.aes_decrypt(nonce_key, h("854D8DF5827FA6852D1A4FA701CDDDCA"))
    assert nonce == h("FA5B7E3E49753A0DB9178B7B9BD898C8")
    mapped = domain.map_generic(int.from_bytes(nonce, "big"), terminal_map, h(DH_CHIP_PUBLIC))
    assert mapped.public_key(1) == h(
        "7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919C"
        "BAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84"
        "EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5"
    )
    terminal_eph = 0x89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA
    assert mapped.public_key(terminal_eph) == h(DH_TERMINAL_EPH)
    assert mapped.public_key(0xA5B780126B7C980E9FCEA1D4539DA1D27C342DFA) == h(DH_CHIP_EPH)
    assert mapped.agree(terminal_eph, h(DH_CHIP_EPH)) == h(
        "6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E38B834B6A9E9CD7184BA8834AFF5043D4"
        "36950C4C1E7832367C10CB8C314D40E5990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E"
        "465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD"
    )
    oid = "0.4.0.127.0.7.2.2.4.1.2"
    assert pace.token_input(oid, mapped, h(DH_CHIP_EPH)) == h(
        "7F49818F060A04007F00070202040102848180" + DH_CHIP_EPH
    )


def test_icao_g2_dh_full_exchange() -> None:
    choice = pace.supported_choices(
        parse_security_infos(h("31143012060A04007F00070202040102020102020100"))
    )[0]
    script = [
        ("0022C1A40F800A04007F00070202040102830101", "9000"),
        ("10860000027C0000", "7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000"),
        (
            "10860000867C818381818" + "0" + "".join(DH_TERMINAL_PUBLIC.split()) + "00",
            "7C81838281" + "80" + "".join(DH_CHIP_PUBLIC.split()) + "9000",
        ),
        (
            "10860000867C818383818" + "0" + "".join(DH_TERMINAL_EPH.split()) + "00",
            "7C81838481" + "80" + "".join(DH_CHIP_EPH.split()) + "9000",
        ),
        (
            "008600000C7C0A8508B46DD9BD4D98381F00",
            "7C1B8608917F37B5C0E6D8D1870F4445544553544356434130303030339000",
        ),
    ]
    channel = ScriptedChannel(script)
    pace.perform_pace(
        channel,
        ICAO_KEY,
        choice,
        keys=fixed_keys(
            "5265030F751F4AD18B08AC565FC7AC952E41618D", "89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA"
        ),
    )
    assert channel.done


def test_nz_passport_ecdh_generic_mapping_with_3des() -> None:
    infos = parse_security_infos(h("31143012060a04007f0007020204020102010202010d"))
    (choice,) = pace.supported_choices(infos)
    assert choice.algorithm.name == "id-PACE-ECDH-GM-3DES-CBC-CBC"
    script = [
        ("0022c1a40f800a04007f00070202040201830101", "9000"),
        ("10860000027c0000", "7c128010b88382812290017af1cc906ff00e7f4d9000"),
        (
            "10860000457c438141047706b2b6246ab4612229b8a11212ddba7fea0568c9c0975dee22c0e3dd3a3f03"
            "21e8afee836e373b570d24000d56fb195104d486e63321ff8c819dd5ee018dcb00",
            "7c43824104780b4edec9b926f9f964fad826d9990a667608d96ba7b397ae8609b6533e0d03"
            "6d148365ddf4e5ff6611c2b62aa17fc9899f327bc929db543e7abd0ee724e4be9000",
        ),
        (
            "10860000457c43834104507a0156efae8fb8acc519036c0b2fe0393c878744c7f91878ee4e07a41412ba"
            "5c0753d68a44a91e9f57f3f992ab689e6c2065d3b2a27c3658a4fd632931ee3800",
            "7c438441042dbaf62e6fdfb31eb66f206493b9e7721586f0e5c93754d7bd5a884ca251ee4d"
            "720ab539a60561bc46812fa289b58ac69f0c6e32adbaf7241049a31211f80f5b9000",
        ),
        ("008600000c7c0a85088d7c617d43efe09e00", "7c0a8608cb57047c809079f69000"),
    ]
    channel = ScriptedChannel(script)
    secure = pace.perform_pace(
        channel,
        MRZKey("LM277954", "781214", "271115"),
        choice,
        keys=fixed_keys(
            "2808272c0ec20e01a3450030ef32855e9feb5cb17719e985389b1cf47609e69f",
            "8f89449052df6c7983750c7b042c3cea12b36819174424c7cd28153f7b70b402",
        ),
    )
    assert channel.done
    keys = _keys_of(secure)
    assert keys.k_enc == h("430e4c8c38dfefaed92067b919a897f8")
    assert keys.k_mac == h("c1bc1f075797b970b5a45e64a764b0cb")


def test_can_password_reference_and_secret() -> None:
    can = CANKey("123456")
    assert can.pace_secret() == b"123456"
    assert can.pace_reference == 2
    with pytest.raises(Exception, match="6 digits"):
        CANKey("12345")

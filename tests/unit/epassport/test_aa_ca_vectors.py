"""Active and Chip Authentication against recorded sessions with real passports.

Source: gmrtd/gmrtd (MIT), activeauth/active_auth_test.go (TestDoActiveAuth: RSA-1792
ISO 9796-2 AA under 3DES secure messaging; TestDecodeF: 9796-2 trailers) and
chipauth/chip_auth_test.go (TestChipAuthAT and TestChipAuthDE: ECDH brainpoolP256r1
with explicit DG14 parameters and AES-128; TestChipAuthFR: CA inferred as 3DES from a
P-256 key, sent with MSE:Set KAT over AES-256 secure messaging). APDUs, keys and the
session keys expected after CA are copied as literals.
"""

from __future__ import annotations

import pytest

from devices.epassport import active_auth, chip_auth
from devices.epassport.cipher import AES128, AES256, TDES, SessionKeys
from devices.epassport.publickeys import RSAPublicKey
from devices.epassport.securityinfos import parse_dg14
from devices.epassport.sm import SecureChannel

from .scripted import ScriptedChannel, fixed_keys


def h(value: str) -> bytes:
    return bytes.fromhex("".join(value.split()))


DG15_RSA = (
    "6F8201023081FF300D06092A864886F70D01010105000381ED003081E90281E100BB8F93F4DC95E205CDA17C6927AB1E365B"
    "13065D03CD12E0FCE95D96840529453202F56CC4C13F77CD062930C8BC89A2873B257045C286E601CF3C09323A5310331490"
    "2804AA10A314628CE222206A8866946A36B442041BB54AC81E6855DD1D6E16101833D65A191C20AC8B33B8A1A32920F46043"
    "F8031CF2BC17417030865FC5BE5A39DEE423BCBA3CA8177168EB23CFE01BA43EC87711B1CFFF85DB46F300DD8AE317B50D54"
    "3B573E119E23AF7070D0B2FED6A3B2313A5EC02A531AAED1741F4390D1013E2A0F081EAC5DC8B0A1B2C6BDB1206F08D30E36"
    "43E1E5BDF536110203010001"
)
AA_SIGNATURE = (
    "474256306840c0ab1b63c10e1c26bdfef4a0dd843920283cc4e6e70a60f2bd25dc7725f9677bc1cde66379dc28b38e8490f3"
    "3afb2d10f9980c44c0bfc175d2b6684218f535c92fdd3e18db770a9ccbf91db3c7f0138e6d9e94b9bc8371761e3abed5e5e9"
    "b260279cfb238b58ae0d6a01da51c74c2a3ecd62c448bd9f20127f7384587287fa971204234e55b1a856c3e5aaaa620bb799"
    "a68fbae08ee132bb61683eba9b0b40dc1e54641cad975b16991cab50af82e3f3985afd19e7427a125f5b4b9878b12a5d2e01"
    "c7eedca3bb41c6fc05dccd818bce379d04b1f2f5d43487d3"
)
AA_RESPONSE = (
    "8781e901d04ca80f527df94f4a430d3d6e6cb6c2af4c6756c068a93132d147fa27833125304132981b8bd8009448e89f259e"
    "ec8552b54285cef9d8f1b7fb31b9f279221c7e925f4951811f3fe2e01d76e68dbc7cde9c873c5f61862f3c5469792a72f92c"
    "8943b890436f5e9feaead9f2a361fcd7a615493d1b3519865f32ee9a125886588eb21fee0e709353d0731139fdc958d6b212"
    "7fad6947b438998b526819803f70f78614cd42f4a6619c6af95dfd2ab09bedf71e707abc39a250aee68006d522ad37d15967"
    "4984a07d11c001022c853aeb7acdb059ede5721a3b9f20441bda7e242ee8df1369d25316990290008e08fd2493147866f0ed"
    "9000"
)


def test_real_rsa_active_authentication_under_3des_secure_messaging() -> None:
    key = active_auth.parse_dg15(h(DG15_RSA))
    assert isinstance(key, RSAPublicKey) and key.n.bit_length() == 1792
    channel = ScriptedChannel(
        [
            (
                "0c88000020871101ed7f8cb47a4eea086324a7f9dd7427809701008e0897f54bae49aa71f800",
                AA_RESPONSE,
            )
        ]
    )
    keys = SessionKeys(
        TDES, h("b99d546108eaa251570876b6d3456dce"), h("e3857ca24946251c151c540e13f2cd51")
    )
    secure = SecureChannel(channel, keys, 0xCC)
    verdict = active_auth.perform_active_authentication(
        secure, key, random_bytes=lambda n: h("96302b0f3d7e7864")
    )
    assert verdict.valid, verdict
    assert verdict.algorithm == "RSA ISO/IEC 9796-2 SHA256"
    assert secure._ssc == 0xCE and channel.done
    # the same signature does not verify another challenge: a replayed answer fails
    assert not active_auth.verify(key, h("0102030405060708"), h(AA_SIGNATURE)).valid
    assert active_auth.verify(key, h("96302b0f3d7e7864"), h(AA_SIGNATURE)).valid


DG14_AT = (
    "6E82017E3182017A300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F00070202"
    "04020202010202010D30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C0607"
    "2A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377304404207D5A0975"
    "FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF95841629"
    "5CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF8"
    "35C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C39"
    "7AA3B561A6F7901E0E82974856A7020101034200041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B409"
    "11DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3"
)
DG14_DE = (
    "6E82019A31820196300D060804007F00070202020201013012060A04007F0007020204020202010202010D3012060A04007F"
    "0007020204060202010202010D3013060A04007F00070202030202020101020200C330820146060904007F00070202010230"
    "8201333081EC06072A8648CE3D02013081E0020101302C06072A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D"
    "726E3BF623D52620282013481D1F6E5377304404207D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F3"
    "30B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B"
    "482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C7"
    "2F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A70201010342000470"
    "36BC5D0BCF31913B59103BB6F2C0C98C99EF4C19B9517340B76BFE4EE2194C76C3F3314E021D4B092DB5A32AB7D6E297F2FB"
    "EAE45AA28DEFC4DA750FEAD54E020200C3"
)
DG14_FR = (
    "6E82015E3182015A30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C06072A"
    "8648CE3D0101022100FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF30440420FFFFFFFF00"
    "000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC04205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC"
    "53B0F63BCE3C3E27D2604B0441046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2"
    "FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5022100FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FA"
    "ADA7179E84F3B9CAC2FC632551020101034200048367FC170D90AD53A28C6526A9C7EC4F5C59C4F7F5D992583F951A1654B4"
    "D1D6332163A33D82CBF245154887A8812ED9A55C15AD9D5C5C463851875BBA9AEABD3012060A04007F000702020402040201"
    "0202010C"
)


@pytest.mark.parametrize(
    ("dg14", "spec", "ks", "ssc", "private", "script", "expected"),
    [
        pytest.param(
            DG14_AT,
            AES128,
            ("524170DE3419B7AF2F23E45AD6EF9595", "97893F5FDC29A5C13A924FE7D8ED44FD"),
            0xF0,
            "80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5",
            [
                (
                    "0C2241A41D8711015D8F69B1EA365CCE4304970DB12421F38E085340D338128085E700",
                    "990290008E083F5136E82A6C34779000",
                ),
                (
                    "0C860000608751019E18F1BA79D805379752BB560EB70AAC3CE3BC5AFE2FDD4AEB325CA8B578B4A93B9F66A5DF40005F"
                    "8E878535251D33DD974AAF77FB858773E5799FA9DC1034E89B1150EC7F0BB3DB4BF37A1B9EA4458A9701008E089D204D"
                    "950C0B95DB00",
                    "8711010B0A5DFFC7432DE4DEB604291377A05B990290008E08B3384A1F5D1579739000",
                ),
                (
                    "0CA4020C1D8711011B2EE500E84960DF7F37AFE7ADFF53838E084500F3B43E192A5700",
                    "990290008E0803C4B125B4218CEF9000",
                ),
            ],
            (AES128, "C8E27260EFD3F318D18C080CBF11C7E6", "A942190365204A21409EB28B52BF9160"),
            id="AT-ECDH-AES128",
        ),
        pytest.param(
            DG14_DE,
            AES128,
            ("CC86415F2ED7E8FD663B754265695AE1", "581E84B8EE06C4D3EEE30461498D7FB3"),
            0xBA,
            "84A5145885678EE9307C28C52736896267511203B7B8009C5FE27ABCBAECDCAA",
            [
                (
                    "0C2241A41D871101980953D37F67558690045D78A853B18A8E08929767A2CEF172E200",
                    "990290008E08FC873EBB62219C8A9000",
                ),
                (
                    "0C8600006087510161912C367A6322D24AA1D4522DC47A7345369257672DF1D1163D506EB6489395D8083FAD393A3942"
                    "97CE8703C42F22C864C1F4C8E70EE1CF9B497ACF6579190D90F36CF9E16FE2149FF57247285D9E1E9701008E08A1D7A1"
                    "6EFBFD932C00",
                    "87110123E7159AC9B0EF92CE1F6755B89697E3990290008E088972F1595E1508C29000",
                ),
                (
                    "0CA4020C1D871101FAD37EADBCDE7E6A0833035A9FFF5B708E0836560BBCE1FECD5F00",
                    "990290008E0829D0E1EBBB61BE7A9000",
                ),
            ],
            (AES128, "AF0EEDB52E87B945FC5503B1C6875C1C", "CEB85BEDCECFF1DD1E25DFB672C4A5BF"),
            id="DE-ECDH-AES128-keyId",
        ),
        pytest.param(
            DG14_FR,
            AES256,
            (
                "17da5d46e356f5b31c3d65b1369ef531ca811effc76967d2b62335e1ad9fe5cb",
                "5cb99a25e6081581fac80c8da621087939b6bde273f2f7c65693b3a0ea3051ed",
            ),
            0xC6,
            "d9c3b06a4dcb735351429403fcb56db520dc882512d775971f724d6112f96586",
            [
                (
                    "0c2241a65d8751013ae386873df68bd7e9f8d7ab2e696ced29eeb8da78d502645b5e97d566361341e2eaa56318f6d84bf0"
                    "bc44f7808afaf14798d16048aab03545f017f557d2cce9dee724f099e3d643abd0fb03e567d9b18e08f2d238dede5abbf100",
                    "990290008e089666ac14d11e8c2c9000",
                ),
                (
                    "0ca4020c15870901db66e918fe3525f98e08d870008cea2ba80000",
                    "990290008e08420dea0a913418ae9000",
                ),
            ],
            (TDES, "8ae910a12991fbfe5e37c2c726a2df29", "1adac8970843d9bf8570737a04a8d50d"),
            id="FR-ECDH-3DES-inferred-KAT",
        ),
    ],
)
def test_real_chip_authentication_sessions(
    dg14: str,
    spec: object,
    ks: tuple[str, str],
    ssc: int,
    private: str,
    script: list[tuple[str, str]],
    expected: tuple[object, str, str],
) -> None:
    infos = parse_dg14(h(dg14))
    choice = chip_auth.choose(infos)
    assert choice is not None
    channel = ScriptedChannel(script)
    secure = SecureChannel(channel, SessionKeys(spec, h(ks[0]), h(ks[1])), ssc)  # type: ignore[arg-type]
    outcome = chip_auth.perform_chip_authentication(secure, choice, keys=fixed_keys(private))
    assert outcome.valid, outcome
    assert channel.done
    keys: SessionKeys = secure._keys
    assert (keys.spec, keys.k_enc, keys.k_mac) == (expected[0], h(expected[1]), h(expected[2]))
    assert secure._ssc == 2


def test_chip_authentication_with_a_cloned_chip_fails() -> None:
    """The clone answers the confirmation with a MAC under keys it cannot know."""
    choice = chip_auth.choose(parse_dg14(h(DG14_AT)))
    assert choice is not None
    script = [
        (
            "0C2241A41D8711015D8F69B1EA365CCE4304970DB12421F38E085340D338128085E700",
            "990290008E083F5136E82A6C34779000",
        ),
        (
            "0C860000608751019E18F1BA79D805379752BB560EB70AAC3CE3BC5AFE2FDD4AEB325CA8B578B4A93B9F66A5DF40005F"
            "8E878535251D33DD974AAF77FB858773E5799FA9DC1034E89B1150EC7F0BB3DB4BF37A1B9EA4458A9701008E089D204D"
            "950C0B95DB00",
            "8711010B0A5DFFC7432DE4DEB604291377A05B990290008E08B3384A1F5D1579739000",
        ),
        (
            "0CA4020C1D8711011B2EE500E84960DF7F37AFE7ADFF53838E084500F3B43E192A5700",
            "990290008E0803C4B125B4218CEF0000"[:-4] + "9000",
        ),
    ]
    # corrupt the confirmation MAC as a chip without the static key would produce
    bad = bytearray(h(script[2][1]))
    bad[-3] ^= 0x55
    script[2] = (script[2][0], bad.hex())
    channel = ScriptedChannel(script)
    keys = SessionKeys(
        AES128, h("524170DE3419B7AF2F23E45AD6EF9595"), h("97893F5FDC29A5C13A924FE7D8ED44FD")
    )
    secure = SecureChannel(channel, keys, 0xF0)
    outcome = chip_auth.perform_chip_authentication(
        secure,
        choice,
        keys=fixed_keys("80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5"),
    )
    assert not outcome.valid and outcome.reason == "secure_messaging_mac"
    assert secure.closed


@pytest.mark.parametrize(
    ("f", "hash_name"),
    [
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344e9b287952a913cc5b60ff74ecfc87e40e81563b1BC",
            "SHA1",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344aefc05e88f48eb88d367ba3dacb7d6a8543ec02bd315e47ddbe2045d38CC",
            "SHA224",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344783980d44fd3a80f0e4210eb9c73ea399932062d465438f8e1ff13377de8308934CC",
            "SHA256",
        ),
    ],
)
def test_iso9796_trailers(f: str, hash_name: str) -> None:
    """gmrtd TestDecodeF representatives; with the toy exponent e = 1 the signature is F itself."""
    representative = int(f, 16)
    n = (1 << (representative.bit_length() + 8)) + 1  # an odd modulus above F
    identity = RSAPublicKey(n, 1)
    signature = representative.to_bytes((n.bit_length() + 7) // 8, "big")
    verdict = active_auth.verify_rsa_9796(identity, h("0102030405060708"), signature)
    assert verdict.valid and verdict.algorithm.endswith(hash_name)
    assert not active_auth.verify_rsa_9796(identity, h("0102030405060709"), signature).valid

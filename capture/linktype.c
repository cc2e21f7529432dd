/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Link-layer header types: the LINKTYPE_* values stored in capture files,
 * with the names and one-line descriptions that libpcap's
 * pcap_datalink_val_to_name/description and `tcpdump -L` use. The table
 * is keyed by LINKTYPE value (what files hold), not by the platform's
 * DLT_* value: LINKTYPE_RAW is 101 although Linux's DLT_RAW is 12. The
 * few DLT values that some writers put in files instead of the LINKTYPE
 * (11, 12, 15, 16, 19) are mapped to their LINKTYPE the way libpcap maps
 * them when it reads a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pfcap/capture.h>

#include "capture/capture_impl.h"

/* X(name, LINKTYPE value, description), sorted by value. */
#define PF_LINKTYPES(X)                                                        \
    X(NULL, 0, "BSD loopback")                                                 \
    X(EN10MB, 1, "Ethernet")                                                   \
    X(IEEE802, 6, "Token ring")                                                \
    X(ARCNET, 7, "BSD ARCNET")                                                 \
    X(SLIP, 8, "SLIP")                                                         \
    X(PPP, 9, "PPP")                                                           \
    X(FDDI, 10, "FDDI")                                                        \
    X(PPP_SERIAL, 50, "PPP over serial")                                       \
    X(PPP_ETHER, 51, "PPPoE")                                                  \
    X(SYMANTEC_FIREWALL, 99, "Symantec Firewall")                              \
    X(ATM_RFC1483, 100, "RFC 1483 LLC-encapsulated ATM")                       \
    X(RAW, 101, "Raw IP")                                                      \
    X(SLIP_BSDOS, 102, "BSD/OS SLIP")                                          \
    X(PPP_BSDOS, 103, "BSD/OS PPP")                                            \
    X(C_HDLC, 104, "Cisco HDLC")                                               \
    X(IEEE802_11, 105, "802.11")                                               \
    X(ATM_CLIP, 106, "Linux Classical IP over ATM")                            \
    X(FRELAY, 107, "Frame Relay")                                              \
    X(LOOP, 108, "OpenBSD loopback")                                           \
    X(ENC, 109, "OpenBSD encapsulated IP")                                     \
    X(LINUX_SLL, 113, "Linux cooked v1")                                       \
    X(LTALK, 114, "Localtalk")                                                 \
    X(PFLOG, 117, "OpenBSD pflog file")                                        \
    X(PRISM_HEADER, 119, "802.11 plus Prism header")                           \
    X(IP_OVER_FC, 122, "RFC 2625 IP-over-Fibre Channel")                       \
    X(SUNATM, 123, "Sun raw ATM")                                              \
    X(IEEE802_11_RADIO, 127, "802.11 plus radiotap header")                    \
    X(ARCNET_LINUX, 129, "Linux ARCNET")                                       \
    X(JUNIPER_MLPPP, 130, "Juniper Multi-Link PPP")                            \
    X(JUNIPER_MLFR, 131, "Juniper Multi-Link Frame Relay")                     \
    X(JUNIPER_ES, 132, "Juniper Encryption Services PIC")                      \
    X(JUNIPER_GGSN, 133, "Juniper GGSN PIC")                                   \
    X(JUNIPER_MFR, 134, "Juniper FRF.16 Frame Relay")                          \
    X(JUNIPER_ATM2, 135, "Juniper ATM2 PIC")                                   \
    X(JUNIPER_SERVICES, 136, "Juniper Advanced Services PIC")                  \
    X(JUNIPER_ATM1, 137, "Juniper ATM1 PIC")                                   \
    X(APPLE_IP_OVER_IEEE1394, 138, "Apple IP-over-IEEE 1394")                  \
    X(MTP2_WITH_PHDR, 139, "SS7 MTP2 with Pseudo-header")                      \
    X(MTP2, 140, "SS7 MTP2")                                                   \
    X(MTP3, 141, "SS7 MTP3")                                                   \
    X(SCCP, 142, "SS7 SCCP")                                                   \
    X(DOCSIS, 143, "DOCSIS")                                                   \
    X(LINUX_IRDA, 144, "Linux IrDA")                                           \
    X(IEEE802_11_RADIO_AVS, 163, "802.11 plus AVS radio information header")   \
    X(JUNIPER_MONITOR, 164, "Juniper Passive Monitor PIC")                     \
    X(BACNET_MS_TP, 165, "BACnet MS/TP")                                       \
    X(PPP_PPPD, 166, "PPP for pppd, with direction flag")                      \
    X(JUNIPER_PPPOE, 167, "Juniper PPPoE")                                     \
    X(JUNIPER_PPPOE_ATM, 168, "Juniper PPPoE/ATM")                             \
    X(GPRS_LLC, 169, "GPRS LLC")                                               \
    X(GPF_T, 170, "GPF-T")                                                     \
    X(GPF_F, 171, "GPF-F")                                                     \
    X(JUNIPER_PIC_PEER, 174, "Juniper PIC Peer")                               \
    X(ERF_ETH, 175, "Ethernet with Endace ERF header")                         \
    X(ERF_POS, 176, "Packet-over-SONET with Endace ERF header")                \
    X(LINUX_LAPD, 177, "Linux vISDN LAPD")                                     \
    X(JUNIPER_ETHER, 178, "Juniper Ethernet")                                  \
    X(JUNIPER_PPP, 179, "Juniper PPP")                                         \
    X(JUNIPER_FRELAY, 180, "Juniper Frame Relay")                              \
    X(JUNIPER_CHDLC, 181, "Juniper C-HDLC")                                    \
    X(MFR, 182, "FRF.16 Frame Relay")                                          \
    X(JUNIPER_VP, 183, "Juniper Voice PIC")                                    \
    X(A429, 184, "Arinc 429")                                                  \
    X(A653_ICM, 185, "Arinc 653 Interpartition Communication")                 \
    X(USB_FREEBSD, 186, "USB with FreeBSD header")                             \
    X(BLUETOOTH_HCI_H4, 187, "Bluetooth HCI UART transport layer")             \
    X(IEEE802_16_MAC_CPS, 188, "IEEE 802.16 MAC Common Part Sublayer")         \
    X(USB_LINUX, 189, "USB with Linux header")                                 \
    X(CAN20B, 190, "Controller Area Network (CAN) v. 2.0B")                    \
    X(IEEE802_15_4_LINUX, 191, "IEEE 802.15.4 with Linux padding")             \
    X(PPI, 192, "Per-Packet Information")                                      \
    X(IEEE802_16_MAC_CPS_RADIO, 193,                                           \
      "IEEE 802.16 MAC Common Part Sublayer plus radiotap header")             \
    X(JUNIPER_ISM, 194, "Juniper Integrated Service Module")                   \
    X(IEEE802_15_4, 195, "IEEE 802.15.4 with FCS")                             \
    X(SITA, 196, "SITA pseudo-header")                                         \
    X(ERF, 197, "Endace ERF header")                                           \
    X(RAIF1, 198, "Ethernet with u10 Networks pseudo-header")                  \
    X(IPMB_KONTRON, 199, "IPMB with Kontron pseudo-header")                    \
    X(JUNIPER_ST, 200, "Juniper Secure Tunnel")                                \
    X(BLUETOOTH_HCI_H4_WITH_PHDR, 201,                                         \
      "Bluetooth HCI UART transport layer plus pseudo-header")                 \
    X(AX25_KISS, 202, "AX.25 with KISS header")                                \
    X(IPMB_LINUX, 209, "IPMB with Linux/Pigeon Point pseudo-header")           \
    X(IEEE802_15_4_NONASK_PHY, 215, "IEEE 802.15.4 with non-ASK PHY data")     \
    X(LINUX_EVDEV, 216, "Linux evdev events")                                  \
    X(MPLS, 219, "MPLS with label as link-layer header")                       \
    X(USB_LINUX_MMAPPED, 220, "USB with padded Linux header")                  \
    X(DECT, 221, "DECT")                                                       \
    X(AOS, 222, "AOS Space Data Link protocol")                                \
    X(WIHART, 223, "Wireless HART")                                            \
    X(FC_2, 224, "Fibre Channel FC-2")                                         \
    X(FC_2_WITH_FRAME_DELIMS, 225,                                             \
      "Fibre Channel FC-2 with frame delimiters")                              \
    X(IPNET, 226, "Solaris ipnet")                                             \
    X(CAN_SOCKETCAN, 227, "CAN-bus with SocketCAN headers")                    \
    X(IPV4, 228, "Raw IPv4")                                                   \
    X(IPV6, 229, "Raw IPv6")                                                   \
    X(IEEE802_15_4_NOFCS, 230, "IEEE 802.15.4 without FCS")                    \
    X(DBUS, 231, "D-Bus")                                                      \
    X(JUNIPER_VS, 232, "Juniper Virtual Server")                               \
    X(JUNIPER_SRX_E2E, 233, "Juniper SRX E2E")                                 \
    X(JUNIPER_FIBRECHANNEL, 234, "Juniper Fibre Channel")                      \
    X(DVB_CI, 235, "DVB-CI")                                                   \
    X(MUX27010, 236, "MUX27010")                                               \
    X(STANAG_5066_D_PDU, 237, "STANAG 5066 D_PDUs")                            \
    X(JUNIPER_ATM_CEMIC, 238, "Juniper ATM CEMIC")                             \
    X(NFLOG, 239, "Linux netfilter log messages")                              \
    X(NETANALYZER, 240, "Ethernet with Hilscher netANALYZER pseudo-header")    \
    X(NETANALYZER_TRANSPARENT, 241,                                            \
      "Ethernet with Hilscher netANALYZER pseudo-header and with "             \
      "preamble and SFD")                                                      \
    X(IPOIB, 242, "RFC 4391 IP-over-Infiniband")                               \
    X(MPEG_2_TS, 243, "MPEG-2 transport stream")                               \
    X(NG40, 244, "ng40 protocol tester Iub/Iur")                               \
    X(NFC_LLCP, 245, "NFC LLCP PDUs with pseudo-header")                       \
    X(PFSYNC, 246, "Packet filter state syncing")                              \
    X(INFINIBAND, 247, "InfiniBand")                                           \
    X(SCTP, 248, "SCTP")                                                       \
    X(USBPCAP, 249, "USB with USBPcap header")                                 \
    X(RTAC_SERIAL, 250, "Schweitzer Engineering Laboratories RTAC packets")    \
    X(BLUETOOTH_LE_LL, 251, "Bluetooth Low Energy air interface")              \
    X(NETLINK, 253, "Linux netlink")                                           \
    X(BLUETOOTH_LINUX_MONITOR, 254, "Bluetooth Linux Monitor")                 \
    X(BLUETOOTH_BREDR_BB, 255,                                                 \
      "Bluetooth Basic Rate/Enhanced Data Rate baseband packets")              \
    X(BLUETOOTH_LE_LL_WITH_PHDR, 256,                                          \
      "Bluetooth Low Energy air interface with pseudo-header")                 \
    X(PROFIBUS_DL, 257, "PROFIBUS data link layer")                            \
    X(PKTAP, 258, "Apple DLT_PKTAP")                                           \
    X(EPON, 259, "Ethernet with 802.3 Clause 65 EPON preamble")                \
    X(IPMI_HPM_2, 260, "IPMI trace packets")                                   \
    X(ZWAVE_R1_R2, 261, "Z-Wave RF profile R1 and R2 packets")                 \
    X(ZWAVE_R3, 262, "Z-Wave RF profile R3 packets")                           \
    X(WATTSTOPPER_DLM, 263,                                                    \
      "WattStopper Digital Lighting Management (DLM) and Legrand Nitoo "      \
      "Open protocol")                                                         \
    X(ISO_14443, 264, "ISO 14443 messages")                                    \
    X(RDS, 265, "IEC 62106 Radio Data System groups")                          \
    X(USB_DARWIN, 266, "USB with Darwin header")                               \
    X(OPENFLOW, 267, "OpenBSD DLT_OPENFLOW")                                   \
    X(SDLC, 268, "IBM SDLC frames")                                            \
    X(TI_LLN_SNIFFER, 269, "TI LLN sniffer frames")                            \
    X(VSOCK, 271, "Linux vsock")                                               \
    X(NORDIC_BLE, 272, "Nordic Semiconductor Bluetooth LE sniffer frames")     \
    X(DOCSIS31_XRA31, 273, "Excentis XRA-31 DOCSIS 3.1 RF sniffer frames")     \
    X(ETHERNET_MPACKET, 274, "802.3br mPackets")                               \
    X(DISPLAYPORT_AUX, 275, "DisplayPort AUX channel monitoring data")         \
    X(LINUX_SLL2, 276, "Linux cooked v2")                                      \
    X(OPENVIZSLA, 278, "OpenVizsla USB")                                       \
    X(EBHSCR, 279, "Elektrobit High Speed Capture and Replay (EBHSCR)")        \
    X(VPP_DISPATCH, 280, "VPP graph dispatch tracer")                          \
    X(DSA_TAG_BRCM, 281, "Broadcom tag")                                       \
    X(DSA_TAG_BRCM_PREPEND, 282, "Broadcom tag (prepended)")                   \
    X(IEEE802_15_4_TAP, 283, "IEEE 802.15.4 with pseudo-header")               \
    X(DSA_TAG_DSA, 284, "Marvell DSA")                                         \
    X(DSA_TAG_EDSA, 285, "Marvell EDSA")                                       \
    X(ELEE, 286, "ELEE lawful intercept packets")                              \
    X(Z_WAVE_SERIAL, 287, "Z-Wave serial frames between host and chip")        \
    X(USB_2_0, 288, "USB 2.0/1.1/1.0 as transmitted over the cable")           \
    X(ATSC_ALP, 289, "ATSC Link-Layer Protocol packets")

struct linktype_entry {
    const char *name;
    int value;
    const char *desc;
};

static const struct linktype_entry linktypes[] = {
#define PF_LINKTYPE_ENTRY(name, value, desc) {#name, value, desc},
    PF_LINKTYPES(PF_LINKTYPE_ENTRY)
#undef PF_LINKTYPE_ENTRY
};

#define N_LINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

/*
 * DLT values that differ from their LINKTYPE on Linux and that old or
 * foreign writers stored in files; libpcap reads them as that DLT and
 * would save them back as the LINKTYPE.
 */
static const struct {
    uint32_t dlt;
    uint32_t linktype;
} dlt_aliases[] = {
    {11, 100},  /* DLT_ATM_RFC1483 -> LINKTYPE_ATM_RFC1483 */
    {12, 101},  /* DLT_RAW (Linux) -> LINKTYPE_RAW */
    {15, 102},  /* DLT_SLIP_BSDOS -> LINKTYPE_SLIP_BSDOS */
    {16, 103},  /* DLT_PPP_BSDOS -> LINKTYPE_PPP_BSDOS */
    {19, 106},  /* DLT_ATM_CLIP -> LINKTYPE_ATM_CLIP */
};

uint32_t pf_capture_linktype_normalize(uint32_t value)
{
    for (size_t i = 0; i < sizeof(dlt_aliases) / sizeof(dlt_aliases[0]); i++)
        if (dlt_aliases[i].dlt == value)
            return dlt_aliases[i].linktype;
    return value;
}

/* The entry for @linktype (after alias mapping), or NULL. */
static const struct linktype_entry *find_value(int linktype)
{
    uint32_t v;

    if (linktype < 0)
        return NULL;
    v = pf_capture_linktype_normalize((uint32_t)linktype);
    for (size_t i = 0; i < N_LINKTYPES; i++)
        if ((uint32_t)linktypes[i].value == v)
            return &linktypes[i];
    return NULL;
}

const char *pf_linktype_name(int linktype)
{
    const struct linktype_entry *e = find_value(linktype);

    return e ? e->name : NULL;
}

const char *pf_linktype_description(int linktype)
{
    const struct linktype_entry *e = find_value(linktype);

    return e ? e->desc : NULL;
}

/* Parses a whole decimal number in 0..INT32_MAX; -1 otherwise. */
static int parse_number(const char *s)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v > 0x7fffffffL)
        return -1;
    return (int)v;
}

int pf_linktype_from_name(const char *name)
{
    if (!name || !*name)
        return -1;
    if (!strncasecmp(name, "DLT_", 4) || !strncasecmp(name, "LINKTYPE_", 9))
        name = strchr(name, '_') + 1;
    for (size_t i = 0; i < N_LINKTYPES; i++)
        if (!strcasecmp(linktypes[i].name, name))
            return linktypes[i].value;
    return parse_number(name);
}

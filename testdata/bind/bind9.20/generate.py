# Writes the BIND 9.20 fixtures of this directory (see ../SOURCES.md):
# python3 generate.py from testdata/bind/bind9.20. The values are invented;
# the shapes follow BIND 9.20's bin/named/statschannel.c.
import json, collections
OD=collections.OrderedDict
hdr=OD([("json-stats-version","1.8"),("boot-time","2026-11-20T08:00:00.125Z"),("config-time","2026-11-20T08:00:00.250Z"),("current-time","2026-11-21T09:00:00.500Z"),("version","9.20.4")])
opcodes=OD([(n,0) for n in ["QUERY","IQUERY","STATUS","RESERVED3","NOTIFY","UPDATE"]+["RESERVED%d"%i for i in range(6,16)]]); opcodes["QUERY"]=25; opcodes["NOTIFY"]=2
rcodes=OD([(n,0) for n in ["NOERROR","FORMERR","SERVFAIL","NXDOMAIN","NOTIMP","REFUSED","YXDOMAIN","YXRRSET","NXRRSET","NOTAUTH","NOTZONE","RESERVED11","RESERVED12","RESERVED13","RESERVED14","RESERVED15","BADVERS","17","18","19","20","21","22","BADCOOKIE"]])
rcodes.update(NOERROR=18,NXDOMAIN=4,REFUSED=2,SERVFAIL=1)
qtypes=OD([("A",15),("AAAA",4),("MX",2),("SOA",3),("AXFR",1)])
nsstats=OD([("Requestv4",27),("ReqEdns0",26),("ReqTCP",3),("TCPConnHighWater",2),("RecQryRej",2),("Response",25),("RespEDNS0",24),("QrySuccess",18),("QryAuthAns",20),("QryNoauthAns",3),("QryNXDOMAIN",4),("QrySERVFAIL",1),("QryRecursion",4),("QryFailure",2),("XfrReqDone",1),("RecursHighwater",3),("QryUDP",22),("QryTCP",2),("CookieIn",26),("CookieNew",20),("CookieMatch",6)])
zonestats=OD([("NotifyOutv4",2),("SOAOutv4",1),("AXFRReqv4",1),("XfrSuccess",1)])
resstats_view=OD([("Queryv4",6),("Responsev4",6),("NXDOMAIN",1),("REFUSED",1),("QryRTT10",4),("QryRTT100",2),("BucketSize",31),("ClientCookieOut",2),("ServerCookieOut",4),("CookieIn",6),("CookieClientOk",6)])
resstats_bind=OD([("BucketSize",31)])
cachestats=lambda hits,misses,nodes: OD([("CacheHits",hits),("CacheMisses",misses),("QueryHits",hits//2),("QueryMisses",misses//2),("DeleteLRU",0),("DeleteTTL",0),("CoveringNSEC",0),("CacheNodes",nodes),("CacheNSECNodes",0),("CacheBuckets",16),("TreeMemTotal",40960),("TreeMemInUse",32768),("TreeMemMax",0),("HeapMemTotal",2048),("HeapMemInUse",1024),("HeapMemMax",0)])
views_server=OD([
 ("recursive",OD([("resolver",OD([("stats",resstats_view),("qtypes",OD([("A",5),("AAAA",1)])),("cache",OD([("A",3),("!AAAA",1),("NXDOMAIN",1)])),("cachestats",cachestats(4,10,5)),("adb",OD([("nentries",1021),("entriescnt",1),("nnames",1021),("namescnt",1)]))]))])),
 ("authoritative",OD([("resolver",OD([("stats",resstats_bind),("qtypes",OD()),("cache",OD()),("cachestats",cachestats(0,0,0)),("adb",OD([("nentries",1021),("nnames",1021)]))]))])),
 ("_bind",OD([("resolver",OD([("stats",resstats_bind),("qtypes",OD()),("cache",OD()),("cachestats",cachestats(0,0,0)),("adb",OD([("nentries",1021),("nnames",1021)]))]))])),
])
zones_auth=[
 OD([("name","lab.example"),("class","IN"),("serial",2024010105),("type","secondary"),("loaded","2026-11-21T08:55:00Z"),("expires","2026-11-22T08:55:00Z"),("refresh","2026-11-21T09:45:00Z"),
     ("rcodes",OD([("QrySuccess",12),("QryAuthAns",14),("QryNXDOMAIN",2),("XfrReqDone",1),("QryUDP",13),("QryTCP",1)])),("qtypes",OD([("A",9),("AAAA",3),("MX",2)]))]),
 OD([("name","2.0.192.in-addr.arpa"),("class","IN"),("type","secondary"),("loaded","1970-01-01T00:00:00Z"),("expires","1970-01-01T00:00:00Z"),("refresh","1970-01-01T00:00:00Z")]),
]
zones_bind=[OD([("name",n),("class","CH"),("serial",0),("type","builtin"),("loaded","2026-11-20T08:00:00Z")]) for n in ["authors.bind","hostname.bind","version.bind","id.server"]]
xfrins=[OD([("name","2.0.192.in-addr.arpa"),("class","IN"),("type","secondary"),("firstrefresh","Yes"),("state","Refresh SOA"),("refreshqueued","No"),("localaddr","127.0.0.1#0"),("remoteaddr","127.0.0.1#15301"),("soatransport","UDP"),("transport","-"),("tsigkeyname",None),("duration",2),("nmsg",0),("nrecs",0),("nbytes",0),("ixfr","")])]
sockstats=OD([("UDP4Open",4),("TCP4Open",5),("TCP4Close",3),("TCP4Accept",6),("UDP4Active",3),("TCP4Active",4)])
sock_all=["UDP4Open","UDP6Open","TCP4Open","TCP6Open","UDP4OpenFail","UDP6OpenFail","TCP4OpenFail","TCP6OpenFail","UDP4Close","UDP6Close","TCP4Close","TCP6Close","UDP4BindFail","UDP6BindFail","TCP4BindFail","TCP6BindFail","UDP4ConnFail","UDP6ConnFail","TCP4ConnFail","TCP6ConnFail","UDP4Conn","UDP6Conn","TCP4Conn","TCP6Conn","TCP4AcceptFail","TCP6AcceptFail","TCP4Accept","TCP6Accept","UDP4SendErr","UDP6SendErr","TCP4SendErr","TCP6SendErr","UDP4RecvErr","UDP6RecvErr","TCP4RecvErr","TCP6RecvErr","UDP4Active","UDP6Active","TCP4Active","TCP6Active","TCP4Clients","TCP6Clients"]
memory=OD([("TotalUse",51200000),("InUse",30000000),("Malloced",31000000),("ContextSize",120000),("Lost",0),("contexts",[OD([("id","0x7f0000000000"),("name","main"),("references",100),("total",40000000),("inuse",20000000),("maxinuse",0),("malloced",20500000),("maxmalloced",21000000),("pools",0),("hiwater",0),("lowater",0)])])])
traffic=OD([("dns-udp-requests-sizes-received-ipv4",OD([("32-47",10),("48-63",12)])),("dns-udp-responses-sizes-sent-ipv4",OD([("64-79",8),("96-111",14)])),("dns-tcp-requests-sizes-received-ipv4",OD([("48-63",2)])),("dns-tcp-responses-sizes-sent-ipv4",OD([("4096+",1)])),("dns-udp-requests-sizes-received-ipv6",OD()),("dns-udp-responses-sizes-sent-ipv6",OD()),("dns-tcp-requests-sizes-received-ipv6",OD()),("dns-tcp-responses-sizes-sent-ipv6",OD())])

def doc(*parts):
    d=OD(hdr)
    for k,v in parts: d[k]=v
    return d
server=doc(("opcodes",opcodes),("rcodes",rcodes),("qtypes",qtypes),("nsstats",nsstats),("zonestats",zonestats),("views",views_server))
def viewsz(with_resolver, with_xfrins):
    out=OD()
    for v in ["recursive","authoritative","_bind"]:
        o=OD()
        if v=="authoritative": o["zones"]=zones_auth
        if v=="_bind": o["zones"]=zones_bind
        if with_xfrins and v=="authoritative": o["xfrins"]=xfrins
        if with_resolver: o["resolver"]=views_server[v]["resolver"]
        out[v]=o
    return out
zones=doc(("views",viewsz(False,False)))
allj=doc(("opcodes",opcodes),("rcodes",rcodes),("qtypes",qtypes),("nsstats",nsstats),("zonestats",zonestats),("views",viewsz(True,True)),("sockstats",sockstats),("memory",memory),("traffic",traffic))
net=doc(("sockstats",sockstats)); mem=doc(("memory",memory)); tr=doc(("traffic",traffic))
import os
D=os.path.dirname(os.path.abspath(__file__))+"/"
for name,d in [("server",server),("zones",zones),("net",net),("mem",mem),("traffic",tr)]:
    open(D+"bind9.20-json-v1-%s.json"%name,"w").write(json.dumps(d,indent=2)+"\n")
open(D+"bind9.20-json-v1.json","w").write(json.dumps(allj,indent=2)+"\n")

# XML: the same values, written the way statschannel.c's generatexml writes them
ns_all=["Requestv4","Requestv6","ReqEdns0","ReqBadEDNSVer","ReqTSIG","ReqSIG0","ReqBadSIG","ReqTCP","TCPConnHighWater","AuthQryRej","RecQryRej","XfrRej","UpdateRej","Response","TruncatedResp","RespEDNS0","RespTSIG","RespSIG0","QrySuccess","QryAuthAns","QryNoauthAns","QryReferral","QryNxrrset","QrySERVFAIL","QryFORMERR","QryNXDOMAIN","QryRecursion","QryDuplicate","QryDropped","QryFailure","XfrReqDone","UpdateReqFwd","UpdateRespFwd","UpdateFwdFail","UpdateDone","UpdateFail","UpdateBadPrereq","RecursHighwater","RecursClients","DNS64","RateDropped","RateSlipped","RPZRewrites","QryUDP","QryTCP","NSIDOpt","ExpireOpt","KeepAliveOpt","PadOpt","OtherOpt","CookieIn","CookieNew","CookieBadSize","CookieBadTime","CookieNoMatch","CookieMatch","ECSOpt","QryNXRedir","QryNXRedirRLookup","QryBADCOOKIE","SynthNXDOMAIN","SynthNODATA","SynthWILDCARD","QryTryStale","QryUsedStale","Prefetch","KeyTagOpt","RecLimitDropped","UpdateQuota"]
zs_all=["NotifyOutv4","NotifyOutv6","NotifyInv4","NotifyInv6","NotifyRej","SOAOutv4","SOAOutv6","AXFRReqv4","AXFRReqv6","IXFRReqv4","IXFRReqv6","XfrSuccess","XfrFail"]
rs_all=["Queryv4","Queryv6","Responsev4","Responsev6","NXDOMAIN","SERVFAIL","FORMERR","OtherError","EDNS0Fail","Mismatch","Truncated","Lame","Retry","QueryAbort","QuerySockFail","QueryCurUDP","QueryCurTCP","QueryTimeout","GlueFetchv4","GlueFetchv6","GlueFetchv4Fail","GlueFetchv6Fail","ValAttempt","ValOk","ValNegOk","ValFail","QryRTT10","QryRTT100","QryRTT500","QryRTT800","QryRTT1600","QryRTT1600+","NumFetch","BucketSize","REFUSED","ClientCookieOut","ServerCookieOut","CookieIn","CookieClientOk","BadEDNSVersion","BadCookieRcode","ZoneQuota","ServerQuota","ClientQuota","NextItem","Priming"]
adb_all=["nentries","entriescnt","nnames","namescnt"]
glue_all=["GLUECACHEhitspresent","GLUECACHEhitsabsent","GLUECACHEinsertspresent","GLUECACHEinsertsabsent"]
def counters(typ, names, vals, verbose=True):
    items=[(n,vals.get(n,0)) for n in names] if verbose else list(vals.items())
    if not items: return '<counters type="%s"/>'%typ
    return '<counters type="%s">'%typ+"".join('<counter name="%s">%d</counter>'%(n,v) for n,v in items)+'</counters>'
def xhdr():
    return '<server><boot-time>%s</boot-time><config-time>%s</config-time><current-time>%s</current-time><version>%s</version>'%(hdr["boot-time"],hdr["config-time"],hdr["current-time"],hdr["version"])
def xserver_counters():
    return counters("opcode",list(opcodes),opcodes)+counters("rcode",list(rcodes),rcodes)+counters("qtype",None,qtypes,False)+counters("nsstat",ns_all,nsstats)+counters("zonestat",zs_all,zonestats)+'<counters type="resstat"/>'
def xzone(z):
    s='<zone name="%s" rdataclass="%s"><type>%s</type><serial>%s</serial><loaded>%s</loaded>'%(z["name"],z["class"],z["type"],z.get("serial","-"),z["loaded"])
    if z["type"]=="secondary" and "expires" in z:
        s+='<expires>%s</expires><refresh>%s</refresh>'%(z["expires"],z["refresh"])
    elif z["type"]=="secondary":
        s+='<expires>1970-01-01T00:00:00Z</expires><refresh>1970-01-01T00:00:00Z</refresh>'
    s+=counters("rcode",ns_all,z.get("rcodes",{}))+counters("gluecache",glue_all,{})+counters("qtype",None,z.get("qtypes",{}),False)+'<counters type="dnssec-sign"/><counters type="dnssec-refresh"/></zone>'
    return s
def xview(v, zones_on, resolver_on, xfrins_on):
    s='<view name="%s">'%v
    if zones_on:
        zs = zones_auth if v=="authoritative" else (zones_bind if v=="_bind" else [])
        s+='<zones>'+"".join(xzone(z) for z in zs)+'</zones>'
    if xfrins_on:
        s+='<xfrins>'
        if v=="authoritative":
            s+='<xfrin name="2.0.192.in-addr.arpa" class="IN"><type>secondary</type><serial>-</serial><remoteserial>-</remoteserial><firstrefresh>Yes</firstrefresh><state>Refresh SOA</state><refreshqueued>No</refreshqueued><localaddr>127.0.0.1#0</localaddr><remoteaddr>127.0.0.1#15301</remoteaddr><soatransport>UDP</soatransport><transport>-</transport><tsigkeyname></tsigkeyname><duration>2</duration><nmsg>0</nmsg><nrecs>0</nrecs><nbytes>0</nbytes><ixfr></ixfr></xfrin>'
        s+='</xfrins>'
    if resolver_on:
        r=views_server[v]["resolver"]
        s+=counters("resqtype",None,r["qtypes"],False)+counters("resstats",rs_all,r["stats"])
        if r["cache"]:
            s+='<cache name="%s">'%v+"".join('<rrset><name>%s</name><counter>%d</counter></rrset>'%(n,c) for n,c in r["cache"].items())+'</cache>'
        else:
            s+='<cache name="%s"/>'%v
        s+=counters("adbstat",adb_all,r["adb"])+counters("cachestats",list(r["cachestats"]),r["cachestats"])
    return s+'</view>'
def xdoc(server_extra, after_server, views):
    return '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="/bind9.xsl"?>\n<statistics version="3.14">'+xhdr()+server_extra+'</server>'+after_server+views+'</statistics>\n'
def xviews(z,r,x): return '<views>'+"".join(xview(v,z,r,x) for v in ["recursive","authoritative","_bind"])+'</views>'
xtraffic='<traffic>'
for fam in ["ipv4","ipv6"]:
    xtraffic+='<%s>'%fam
    for tr_ in ["udp","tcp"]:
        xtraffic+='<%s>'%tr_+counters("request-size",None,traffic["dns-%s-requests-sizes-received-%s"%(tr_,fam)],False)+counters("response-size",None,traffic["dns-%s-responses-sizes-sent-%s"%(tr_,fam)],False)+'</%s>'%tr_
    xtraffic+='</%s>'%fam
xtraffic+='</traffic>'
xmem='<memory><contexts><context><id>0x7f0000000000</id><name>main</name><references>100</references><total>40000000</total><inuse>20000000</inuse><maxinuse>0</maxinuse><malloced>20500000</malloced><maxmalloced>21000000</maxmalloced><pools>0</pools><hiwater>0</hiwater><lowater>0</lowater></context></contexts><summary><TotalUse>51200000</TotalUse><InUse>30000000</InUse><Malloced>31000000</Malloced><ContextSize>120000</ContextSize><Lost>0</Lost></summary></memory>'
xsock=counters("sockstat",sock_all,sockstats)
X={"server":xdoc(xserver_counters(),"",xviews(False,True,False)),
   "zones":xdoc("","",xviews(True,False,False)),
   "net":xdoc(xsock,"",'<views/>'),
   "mem":xdoc("","",'<views/>'+xmem),
   "traffic":xdoc("",xtraffic,'<views/>')}
for k,v in X.items():
    open(D+"bind9.20-xml-v3-%s.xml"%k,"w").write(v)
# everything: server counters and sockets in <server>, then traffic, views (zones, xfrins, resolver), memory
allx=xdoc(xserver_counters()+xsock, xtraffic, xviews(True,True,True)+xmem)
open(D+"bind9.20-xml-v3.xml","w").write(allx)

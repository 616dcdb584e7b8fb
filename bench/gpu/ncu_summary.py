#!/usr/bin/env python3
"""Markdown table of an ncu --csv --page details report: per kernel the
duration, DRAM throughput, L2 hit rate, registers, occupancy, cycles per
issued instruction and the top stall reason (from the CPIStall rule).
Usage: ncu_summary.py NCU.csv"""
import csv,collections,re,sys
rows=[r for r in csv.reader(open(sys.argv[1])) if len(r)>15 and r[0].isdigit()]
by=collections.OrderedDict()
for r in rows: by.setdefault(r[0],[]).append(r)
seen={}
for i,rs in by.items(): seen[(rs[0][4],rs[0][7],rs[0][8])]=rs
print("| kernel | block | grid | duration µs | DRAM % of peak | L2 hit % | regs | achieved occupancy % | cycles/issue | top stall |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key,rs in seen.items():
    m={x[12]:x[14] for x in rs}
    st=[x[17] for x in rs if x[15]=='CPIStall' and 'cycles being stalled' in x[17]]
    top=''
    if st:
        mm=re.search(r'spends ([0-9.]+) cycles being stalled (waiting for [^.(]*)',st[0]); 
        if mm: top=f"{mm.group(2).strip()} ({mm.group(1)} cyc)"
        mm=re.search(r'represents about ([0-9.]+)%',st[0])
        if mm: top+=f", {mm.group(1)}% of stalls"
    dur=float(m.get('Duration','0').replace(',',''))/1000
    print(f"| {key[0]} | {key[1].strip('()').replace(', 1, 1','').replace(', ','×')} | {key[2].strip('()').replace(', 1, 1','')} | {dur:.1f} | {m.get('DRAM Throughput')} | {m.get('L2 Hit Rate')} | {m.get('Registers Per Thread')} | {m.get('Achieved Occupancy')} | {m.get('Warp Cycles Per Issued Instruction')} | {top} |")

total = 0
for i in range(-3, 4):
    for j in range(-2, -1):
        total += 1
    for k in range(-1025, -1020):
        total += k
print(total)
n = 0
for i in range(-2000, 1500):
    n += 1
print(n)

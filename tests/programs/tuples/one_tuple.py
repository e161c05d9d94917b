from nkfmt import nkprint
nkprint((7,), 7); nkprint((3,), 3); nkprint((2.5,), ((1,),))
